package youdatatest

import (
	"fmt"
	"strings"
	"testing"
)

func benchServer(b *testing.B, users int) (*Server, int64) {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("users:\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(&sb, "  - {uniqueId: u%05d, nick: n%d}\n", i, i)
	}
	sb.WriteString("projects:\n  - name: p\n    roles:\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sb, "      - {name: r%03d, folder: f%d, users: [u%05d]}\n", i, i%10, i%users)
	}
	seed, err := ParseSeed([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	s := New(Options{Seed: seed, Token: "t"})
	b.Cleanup(s.Close)
	return s, s.Snapshot().ProjectByName("p").ID
}

func BenchmarkBatchImport100Users(b *testing.B) {
	s, pid := benchServer(b, 1000)
	users := make([]map[string]any, 100)
	for i := range users {
		users[i] = map[string]any{"uniqueId": fmt.Sprintf("u%05d", i), "nick": "x"}
	}
	body := map[string]any{"projectId": pid, "rolePaths": [][]string{{"f1", "r001"}}, "users": users}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if e := post(b, s, "user/batchImport", body); e.Code != CodeOK {
			b.Fatal(e.Raw)
		}
	}
}

func BenchmarkUserPermissions(b *testing.B) {
	s, pid := benchServer(b, 1000)
	q := map[string]string{"projectId": fmt.Sprint(pid), "uniqueId": "u00001"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if e := get(b, s, "user/permissions", q); e.Code != CodeOK {
			b.Fatal(e.Raw)
		}
	}
}
