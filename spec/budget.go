package spec

import (
	"bytes"
	"fmt"
)

// The loader's budgets. Parsing YAML costs time and memory in proportion to
// the number of nodes it builds (yaml.v3 takes some 200 bytes and 0.5 µs
// a node), not to the size of the file: 15 MB of "a," is 7.8 million
// nodes, a 15 MB file written by hand 1.3 million. Aliases cost nothing to
// parse but multiply what they name when decoded. So the loader bounds the
// nodes of every file before it parses any, and counts what aliases add,
// and the bytes of every key and value, while it decodes.
//
// The company of the scale benchmark, 50,000 users, 800 departments and 20
// projects of 2,500 members, 100 groups, 300 roles and 100 data
// permissions each, is 15 MB of YAML with a node bound of 1.35 million (it
// parses into 1.31 million nodes and 7 MB of strings). Written as one file
// it stays 1.5 times below MaxFileNodes (and a little below MaxFileBytes);
// as a users file and a file per project, the users file (0.6 million)
// 3.5 times, and the files together 3 times below MaxTotalNodes. A file at
// MaxFileNodes costs some 0.4 GB and 1 s to parse (and up to 0.75 GB and
// 2.5 s to load, a customInfo of a million keys).
const (
	// MaxFileBytes is the largest file the loader reads.
	MaxFileBytes = 16 << 20
	// MaxTotalBytes is the most the files of one load may add up to.
	MaxTotalBytes = 64 << 20
	// MaxFileNodes bounds the nodes of one file, counted before it is
	// parsed.
	MaxFileNodes = 2 << 20
	// MaxTotalNodes bounds the nodes of all the files of one load.
	MaxTotalNodes = 4 << 20
	// MaxFileAliasValues bounds the values that aliases add to one file
	// when they are expanded (each value decoded costs some 160 bytes).
	MaxFileAliasValues = 256 << 10
	// MaxTotalAliasValues bounds the same over all the files of one load.
	MaxTotalAliasValues = 512 << 10
	// MaxFileDecodedBytes bounds the bytes of the keys and values of one
	// file, aliases expanded. Without aliases a file decodes to at most its
	// own size, so only aliases can reach it: they may double a file of
	// the largest size.
	MaxFileDecodedBytes = 32 << 20
	// MaxTotalDecodedBytes bounds the same bytes over every file of one
	// load.
	MaxTotalDecodedBytes = 64 << 20
)

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func tooLarge(n int64) string {
	return fmt.Sprintf("file too large (%d bytes; the limit is %s): split it into several files", n, mib(MaxFileBytes))
}

// nodeBound returns an upper bound of the number of nodes yaml.v3 builds
// from data, found without parsing it. Every node but a document's root
// follows a character that only an indicator can be: a list item follows
// "[", "," or "- ", a key and its value follow "{", ",", ":" or "?". None
// of these characters starts more than two nodes ("{a, b}" is two keys and
// their null values), so two per ",", "{", ":" and "?" and one per "[" and
// per "-" followed by a blank bound the nodes; the loader decodes at most
// two documents (one, and a second to refuse), hence the constant. The
// bound counts these characters wherever they are, also inside quoted
// strings and comments: it may exceed the nodes, never fall short of them.
//
// When the bound passes limit, line is the line at which it does (else 0).
func nodeBound(data []byte, limit int) (n, line int) {
	n = 4
	for i, c := range data {
		switch c {
		case ',', '{', ':', '?':
			n += 2
		case '[':
			n++
		case '-':
			// A block entry or the end of "---": "-" followed by a blank,
			// a line break or the end. Bytes from 0x80 up may start a
			// line break of Unicode (NEL, LS, PS): counted too.
			if i+1 == len(data) {
				n++
				break
			}
			switch d := data[i+1]; {
			case d == ' ', d == '\t', d == '\r', d == '\n', d == 0, d >= 0x80:
				n++
			default:
				continue
			}
		default:
			continue
		}
		if line == 0 && n > limit {
			line = bytes.Count(data[:i], []byte("\n")) + 1
		}
	}
	return n, line
}
