package export

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes keeps file names well under the 255-byte limit of common
// file systems, with room for a suffix and the extension.
const maxNameBytes = 180

// windowsReserved are device names Windows refuses as file names, with or
// without an extension.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// SafeName turns a project name into a file name stem that is valid on
// Linux, macOS and Windows: path separators, characters Windows forbids
// and control characters become "_", whitespace runs become one "-",
// leading dots are dropped (the loader skips hidden files), and the result
// is cut to a safe length. Chinese and other letters are kept. An empty
// result is "project".
func SafeName(name string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(name) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r):
			r = '_'
		}
		if space {
			b.WriteByte('-')
			space = false
		}
		b.WriteRune(r)
	}
	s := strings.TrimLeft(b.String(), ".")
	for len(s) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	s = strings.TrimRight(s, ". ")
	if s == "" {
		return "project"
	}
	stem, _, _ := strings.Cut(s, ".")
	if windowsReserved[strings.ToUpper(stem)] {
		s = "_" + s
	}
	return s
}

// uniqueNames gives each project a distinct file name stem: SafeName, and
// where two stems collide (also when they differ only in case, which some
// file systems do not tell apart) the project id is appended to all of
// them. names and ids are parallel.
func uniqueNames(names []string, ids []int64, taken map[string]bool) []string {
	stems := make([]string, len(names))
	count := map[string]int{}
	for i, n := range names {
		stems[i] = SafeName(n)
		count[strings.ToLower(stems[i])]++
	}
	for i := range stems {
		low := strings.ToLower(stems[i])
		if count[low] > 1 || taken[low] {
			stems[i] += "-" + strconv.FormatInt(ids[i], 10)
		}
	}
	return stems
}
