//go:build !(js && wasm)

package main

import "os"

// On a host the widget has no DOM to render into; it is built for
// GOOS=js GOARCH=wasm.
func main() {
	os.Stderr.WriteString("the widget runs in a browser: build it with GOOS=js GOARCH=wasm\n")
	os.Exit(2)
}
