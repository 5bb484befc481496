module github.com/permsync/permsync

go 1.22

require (
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/go-multierror v1.1.1
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sync v0.10.0
	golang.org/x/time v0.8.0
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/hashicorp/errwrap v1.0.0 // indirect
	go.yaml.in/yaml/v2 v2.4.4 // indirect
)
