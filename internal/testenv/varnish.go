package testenv

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Varnish is a private varnishd for one test, in front of a backend.
type Varnish struct {
	Addr string // host:port it listens on
	t    testing.TB
	args []string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// StartVarnish starts Debian's varnishd with the project's VCL
// (deploy/varnish/default.vcl), its backend pointed at backend
// (host:port). It skips, or fails when varnish is required, without
// varnishd or varnish-modules' xkey.
func StartVarnish(t testing.TB, backend string) *Varnish {
	t.Helper()
	bin, err := exec.LookPath("varnishd")
	if err != nil {
		Missing(t, "varnish", err)
	}
	vcl, err := os.ReadFile(filepath.Join(moduleRoot(t), "deploy", "varnish", "default.vcl"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(backend)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(vcl), `.host = "127.0.0.1";`, `.host = "`+host+`";`, 1)
	s = strings.Replace(s, `.port = "8080";`, `.port = "`+port+`";`, 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "test.vcl")
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	v := &Varnish{t: t, Addr: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	// -j none: no privilege separation, so a test's temporary directory
	// serves as the working directory whoever runs it.
	v.args = []string{bin, "-F", "-j", "none", "-n", filepath.Join(dir, "n"), "-a", v.Addr, "-f", file, "-s", "malloc,32m",
		"-p", "default_grace=0", "-p", "default_keep=0"}
	t.Cleanup(v.Stop)
	v.Start()
	return v
}

// Start starts varnishd (again) and waits until it accepts connections.
func (v *Varnish) Start() {
	v.t.Helper()
	v.log = &bytes.Buffer{}
	v.cmd = exec.Command(v.args[0], v.args[1:]...)
	v.cmd.Stdout, v.cmd.Stderr = v.log, v.log
	if err := v.cmd.Start(); err != nil {
		Missing(v.t, "varnish", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", v.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	v.Stop()
	v.t.Fatalf("varnishd did not start: %s", v.log)
}

// Stop stops varnishd; its cache is gone with it.
func (v *Varnish) Stop() {
	if v.cmd == nil || v.cmd.Process == nil {
		return
	}
	_ = v.cmd.Process.Kill()
	_ = v.cmd.Wait()
	v.cmd = nil
}

// moduleRoot is the repository's root, found from this file's place.
func moduleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot find the module root")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
