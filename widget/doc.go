// Command widget is the "Stay connected" newsletter box that partner sites
// embed, compiled to WebAssembly. Only the syscall/js glue carries the
// js && wasm build tag; the form's logic is plain Go that host tests cover.
package main
