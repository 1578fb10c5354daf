// Command build compiles the widget to WebAssembly and writes what the
// gateway embeds: the content-hashed module and the wasm_exec.js of the Go
// toolchain that built it (never committed), each precompressed with gzip
// and brotli, and manifest.json naming them. `make widget` runs it.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
)

func main() {
	out := flag.String("out", "widget/assets/dist", "directory to write")
	pkg := flag.String("pkg", "./widget", "the widget's package")
	flag.Parse()
	if err := build(*out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "widget build:", err)
		os.Exit(1)
	}
}

func build(out, pkg string) error {
	tmp, err := os.MkdirTemp("", "byline-widget")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasmPath := filepath.Join(tmp, "widget.wasm")
	// No inlining (-l) in any package: the module is mostly Go's runtime,
	// and inlined copies of it cost 30 KB brotli that a form does not need
	// (426 KB instead of 456 KB; bounds checks stay on).
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-gcflags=all=-l", "-o", wasmPath, pkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("wasm_exec.js: %w", err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	// Old builds go: only the manifest's files are served.
	old, _ := filepath.Glob(filepath.Join(out, "byline.*"))
	old2, _ := filepath.Glob(filepath.Join(out, "wasm_exec.*"))
	for _, f := range append(old, old2...) {
		os.Remove(f)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	m := map[string]string{}
	for key, f := range map[string]struct {
		prefix, ext string
		data        []byte
	}{"wasm": {"byline", ".wasm", wasm}, "wasmExec": {"wasm_exec", ".js", execJS}} {
		sum := sha256.Sum256(f.data)
		name := f.prefix + "." + hex.EncodeToString(sum[:6]) + f.ext
		if err := writeAll(filepath.Join(out, name), f.data); err != nil {
			return err
		}
		m[key] = name
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "manifest.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Printf("widget: %s (%d bytes), %s\n", m["wasm"], len(wasm), m["wasmExec"])
	return nil
}

// writeAll writes data and its .gz and .br forms.
func writeAll(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(path+".gz", gz.Bytes(), 0o644); err != nil {
		return err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(data)
	bw.Close()
	return os.WriteFile(path+".br", br.Bytes(), 0o644)
}
