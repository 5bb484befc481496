package main

// examples are the examples 'permsync COMMAND -h' and 'permsync help
// COMMAND' end with, by command; "" is permsync's own usage. Each is a
// comment line and the command line(s). A new command adds its own here:
// TestEveryCommandHasExamples fails until it does.
var examples = map[string][]string{
	"": {
		"# Check the files, see what would change, then apply what was reviewed:\npermsync validate -f perms/\npermsync plan -f perms/ --out release.plan\npermsync apply release.plan",
		"# Try it without a server, against the built-in simulator:\npermsync plan --simulator examples/quickstart/server-before.yaml -f examples/quickstart/desired",
	},
	"access-report": {
		"# The whole access matrix for a review, as CSV, JSON and one HTML page:\npermsync access-report -f perms/ --out review/",
		"# With what the server grants too, and who gained or lost what since the last review:\npermsync access-report -f perms/ --live --out review/ --diff last/access.json",
	},
	"apply": {
		"# Plan, ask for 'yes', apply, then verify that the server matches:\npermsync apply -f perms/",
		"# Apply a saved plan exactly as it was reviewed (CI, after the merge):\npermsync apply release.plan",
		"# Without a terminal, approve up front, and print progress from the start:\npermsync apply -f perms/ --auto-approve --progress always",
	},
	"completion": {
		"# Load completion into the current bash, or install it for zsh and fish:\nsource <(permsync completion bash)\npermsync completion zsh > \"${fpath[1]}/_permsync\"\npermsync completion fish > ~/.config/fish/completions/permsync.fish",
	},
	"explain": {
		"# Every resource, role and row that reaches a user, and through what:\npermsync explain -f perms/ alice@example.com",
		"# Who a role reaches, from the files and the server, marking where they differ:\npermsync explain -f perms/ --resource 报告阅览 --live",
	},
	"export": {
		"# Write what a server already has as files to start from:\npermsync export --server https://youdata.example.com --out perms/",
		"# One project only, one file per project:\npermsync export --project finance --split by-project --out perms/",
	},
	"help": {
		"permsync help\npermsync help plan",
	},
	"plan": {
		"# What would change, as text; exit 2 when something would:\npermsync plan -f perms/ --detailed-exitcode",
		"# Save the plan for 'permsync apply PLANFILE', and a bounded summary for the pull request:\npermsync plan -f perms/ --out release.plan --markdown-summary summary.md",
		"# In a GitHub workflow, problems in the files as annotations on the pull request:\npermsync plan -f perms/ --annotations github -o markdown --markdown-dir comments/",
	},
	"run": {
		"# Reconcile every 15 minutes, with health checks and metrics on :9090:\npermsync run -f perms/ --schedule \"*/15 * * * *\" --listen :9090",
		"# Only report the drift, every hour, Shanghai time:\npermsync run -f perms/ --schedule \"CRON_TZ=Asia/Shanghai 0 * * * *\" --mode plan",
	},
	"token": {
		"# The embed token of a profile for one viewer, with the viewer's row permissions:\npermsync token -f perms/ sales-portal --var user=alice@corp.com",
		"# What the credential would carry, without asking the server for one:\npermsync token -f perms/ sales-portal --var user=alice@corp.com --explain",
		"# Revoke a credential, read from stdin so it is not on the command line:\nprintf '%s' \"$TOKEN\" | permsync token -f perms/ sales-portal --revoke",
	},
	"show": {
		"# Show a saved plan again, or render it for a pull-request comment:\npermsync show release.plan\npermsync show release.plan -o markdown > plan.md",
	},
	"sim": {
		"# A simulated Youdata server on port 8080, seeded from a file:\npermsync sim --seed examples/quickstart/server-before.yaml",
		"# A simulated Quick BI organization on a free port:\npermsync sim --provider quickbi --addr 127.0.0.1:0",
	},
	"validate": {
		"# Check every YAML file under perms/:\npermsync validate -f perms/",
		"# In a GitHub workflow, each problem as an annotation on its line:\npermsync validate -f perms/ --annotations github",
		"# In GitLab CI, a code-quality report (artifacts:reports:codequality):\npermsync validate -f perms/ --annotations gitlab=gl-code-quality.json",
	},
	"version": {
		"permsync version\npermsync version --json",
	},
}
