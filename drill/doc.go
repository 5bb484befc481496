// Package drill holds permsync's reliability drills: tests that break the
// server, the process, the input and the network on purpose and check that
// no permission is lost, none is granted that was not asked for, and no
// secret leaks. Run them with
//
//	go test ./drill -run Drill -v
//
// RELIABILITY.md at the root of the repository lists each drill with the
// figures of a run.
package drill
