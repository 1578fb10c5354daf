// Package assets holds the widget's browser files: the loader (source,
// committed) and the built module (dist/, made by `make widget`).
package assets

import (
	"embed"
	"encoding/json"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed loader.js
var loader string

// Manifest names the content-hashed files of a build.
type Manifest struct {
	Wasm     string `json:"wasm"`
	WasmExec string `json:"wasmExec"`
}

// Built returns the build's manifest and files; ok is false when the binary
// was built without `make widget`.
func Built() (m Manifest, files fs.FS, ok bool) {
	b, err := dist.ReadFile("dist/manifest.json")
	if err != nil || json.Unmarshal(b, &m) != nil || m.Wasm == "" {
		return m, nil, false
	}
	sub, _ := fs.Sub(dist, "dist")
	return m, sub, true
}

// Loader is the loader's source, with __WASM__ and __WASM_EXEC__ standing
// for the hashed file names.
func Loader() string { return loader }
