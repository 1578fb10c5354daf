//go:build js && wasm

package main

// main is the WebAssembly entry point; the rendering arrives with the
// widget issue. Until then it only keeps the module alive for callbacks.
func main() {
	select {}
}
