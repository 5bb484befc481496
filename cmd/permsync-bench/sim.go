package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// serveSim is the simulator process: it seeds a simulator with the
// "before" company of the shape, prints "URL TOKEN" and then obeys one
// command per line on stdin, answering one line on stdout:
//
//	latency 20ms   every call waits that long (answer "ok")
//	reset          a fresh simulator from the same seed (answer "URL TOKEN")
//
// It stops when stdin ends. The simulator runs in a process of its own so
// that the CPU time and memory measured in the benchmark process are
// permsync's, not the simulator's.
func serveSim(sh benchgen.Shape, seed uint64, in io.Reader, out io.Writer) error {
	s := benchgen.Generate(sh, seed).Seed()
	start := func() (*youdatatest.Server, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: s, Token: hex.EncodeToString(b[:]), NoCallLog: true})
		if err != nil {
			return nil, fmt.Errorf("seed the simulator: %w", err)
		}
		sim.Start()
		return sim, nil
	}
	sim, err := start()
	if err != nil {
		return err
	}
	defer func() { sim.Close() }()
	fmt.Fprintln(out, sim.URL(), sim.Token())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "latency":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return fmt.Errorf("latency: %w", err)
			}
			sim.SetFaults("*", youdatatest.Fault{Latency: d})
			fmt.Fprintln(out, "ok")
		case "reset":
			sim.Close()
			if sim, err = start(); err != nil {
				return err
			}
			fmt.Fprintln(out, sim.URL(), sim.Token())
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	return sc.Err()
}

// simProcess is the benchmark's handle on a simulator process.
type simProcess struct {
	in    io.WriteCloser
	out   *bufio.Scanner
	wait  func() error
	url   string
	token string
}

func (p *simProcess) command(line string) (string, error) {
	if _, err := fmt.Fprintln(p.in, line); err != nil {
		return "", fmt.Errorf("simulator %s: %w", line, err)
	}
	if !p.out.Scan() {
		return "", fmt.Errorf("simulator %s: no answer: %v", line, p.out.Err())
	}
	return p.out.Text(), nil
}

func (p *simProcess) setLatency(d time.Duration) error {
	ans, err := p.command("latency " + d.String())
	if err == nil && ans != "ok" {
		err = fmt.Errorf("simulator latency: %s", ans)
	}
	return err
}

func (p *simProcess) reset() error {
	ans, err := p.command("reset")
	if err != nil {
		return err
	}
	return p.parseAddr(ans)
}

func (p *simProcess) parseAddr(line string) error {
	url, token, ok := strings.Cut(line, " ")
	if !ok {
		return fmt.Errorf("simulator: unexpected answer %q", line)
	}
	p.url, p.token = url, token
	return nil
}

func (p *simProcess) close() error {
	p.in.Close()
	return p.wait()
}
