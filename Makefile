# Shortcuts; CI runs .ci/run.
.PHONY: test drill fuzz

test:
	go test ./...

# The reliability drills (see RELIABILITY.md), with their figures.
drill:
	go test -race -count=1 ./drill -run Drill -v

# The loader's fuzz test for a bounded number of inputs.
fuzz:
	go test ./spec -run '^$$' -fuzz FuzzLoad -fuzztime 20000x
