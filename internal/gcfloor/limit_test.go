package gcfloor

import (
	"testing"
	"testing/fstest"
)

func TestMemoryLimit(t *testing.T) {
	meminfo := &fstest.MapFile{Data: []byte("MemTotal:       24683584 kB\nMemFree:        1 kB\n")}
	for _, c := range []struct {
		name string
		fs   fstest.MapFS
		want uint64
	}{
		{"cgroup v2 limit", fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("536870912\n")}, "proc/meminfo": meminfo}, 512 << 20},
		{"cgroup v2 without a limit", fstest.MapFS{"sys/fs/cgroup/memory.max": {Data: []byte("max\n")}, "proc/meminfo": meminfo}, 24683584 << 10},
		{"cgroup v1 limit", fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("1073741824\n")}, "proc/meminfo": meminfo}, 1 << 30},
		{"cgroup v1 unlimited", fstest.MapFS{"sys/fs/cgroup/memory/memory.limit_in_bytes": {Data: []byte("9223372036854771712\n")}, "proc/meminfo": meminfo}, 24683584 << 10},
		{"nothing readable", fstest.MapFS{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := memoryLimit(c.fs); got != c.want {
				t.Errorf("memoryLimit = %d, want %d", got, c.want)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	for _, c := range []struct {
		limit, want uint64
	}{
		{24 << 30, 64 << 20},
		{512 << 20, 64 << 20},
		{256 << 20, 32 << 20},
		{0, 64 << 20},
	} {
		if got := Default(c.limit); got != c.want {
			t.Errorf("Default(%d) = %d, want %d", c.limit, got, c.want)
		}
	}
}
