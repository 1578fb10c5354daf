package gcfloor

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// MaxDefault is the largest floor Default picks. Larger floors were
// measured (bench/RESULTS.md, 2026-12-02): a 1 GiB floor looks best in a
// fresh process's first seconds, when it never collects, but once the heap
// cycles through a gigabyte the memory it reuses is cold in every cache,
// and in steady state its p99 was usually the worst of the settings tried. 64 MiB
// keeps a small heap from collecting several times a second without that.
const MaxDefault = 64 << 20

// Default is the floor for a process allowed limit bytes: an eighth of it,
// at most MaxDefault. A container's limit counts, not the host's memory, so
// a gateway in a 256 MiB container collects at 32 MiB.
func Default(limit uint64) uint64 {
	if limit == 0 {
		return MaxDefault
	}
	return min(limit/8, MaxDefault)
}

// MemoryLimit is how much memory this process may use: its cgroup's limit
// (v2, then v1) when one is set, else the machine's memory; 0 when neither
// can be read.
func MemoryLimit() uint64 {
	return memoryLimit(os.DirFS("/"))
}

func memoryLimit(root fs.FS) uint64 {
	for _, path := range []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := fs.ReadFile(root, path)
		if err != nil {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && v < 1<<60 { // "max", or v1's "unlimited" (a huge number)
			return v
		}
	}
	f, err := root.Open("proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
