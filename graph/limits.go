package graph

// orDefault fills the limits left at zero.
func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.Tokens == 0 {
		l.Tokens = d.Tokens
	}
	if l.Fields == 0 {
		l.Fields = d.Fields
	}
	if l.Depth == 0 {
		l.Depth = d.Depth
	}
	if l.Complexity == 0 {
		l.Complexity = d.Complexity
	}
	return l
}
