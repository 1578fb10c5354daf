package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWASMDependencies keeps the module small: fmt, net/http and
// encoding/json would add hundreds of KB, and strings its Unicode tables.
func TestWASMDependencies(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, d := range strings.Fields(string(out)) {
		deps[d] = true
	}
	if !deps["syscall/js"] {
		t.Fatal("the js/wasm build does not use syscall/js: is main_js.go there?")
	}
	for _, banned := range []string{"fmt", "net/http", "encoding/json", "strings", "strconv", "reflect"} {
		if deps[banned] {
			t.Errorf("the js/wasm build imports %s", banned)
		}
	}
}
