// The Docker engine's OCI runtime on a machine where no process may lower an OOM score (its
// capability bounding set lacks CAP_SYS_RESOURCE, as in some sandboxed VMs): runc, after raising
// a container's requested oom_score_adj to this process's own. cri-dockerd asks -998 for every pod
// sandbox and the kubelet -997 for Guaranteed and node-critical pods; without the capability runc
// fails each with "can't get final child's PID from pipe". containerd's CRI does the same for
// such hosts (restrict_oom_score_adj), as do Podman and Docker in a user namespace; Docker 20.10
// has no such option. Every other argument and call goes to runc unchanged.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if bundle := bundleOf(os.Args[1:]); bundle != "" {
		if err := clamp(filepath.Join(bundle, "config.json")); err != nil {
			fmt.Fprintf(os.Stderr, "runtime-adapter: %v\n", err)
			os.Exit(1)
		}
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		fmt.Fprintf(os.Stderr, "runtime-adapter: %v\n", err)
		os.Exit(1)
	}
	if err := syscall.Exec(runc, append([]string{"runc"}, os.Args[1:]...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runtime-adapter: exec %s: %v\n", runc, err)
		os.Exit(1)
	}
}

// runcFlagsWithValue are runc's global flags that take a separate value, which is not a command.
var runcFlagsWithValue = map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}

// bundleOf returns the bundle folder of a `create` or `run`, and "" for every other command.
func bundleOf(args []string) string {
	command, bundle := "", ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--bundle" || arg == "-b":
			if i+1 < len(args) {
				bundle = args[i+1]
				i++
			}
		case strings.HasPrefix(arg, "--bundle="):
			bundle = strings.TrimPrefix(arg, "--bundle=")
		case command == "" && runcFlagsWithValue[arg]:
			i++
		case command == "" && !strings.HasPrefix(arg, "-"):
			command = arg
		}
	}
	if command != "create" && command != "run" {
		return ""
	}
	if bundle == "" {
		// runc's default bundle is the working directory.
		bundle, _ = os.Getwd()
	}
	return bundle
}

// clamp raises process.oomScoreAdj in the bundle's config.json to this process's own score, the
// lowest the kernel lets it set, leaving every other field as it was.
func clamp(configPath string) error {
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", configPath, err)
	}
	var process map[string]json.RawMessage
	if err := json.Unmarshal(spec["process"], &process); err != nil || process["oomScoreAdj"] == nil {
		return nil
	}
	var requested int
	if err := json.Unmarshal(process["oomScoreAdj"], &requested); err != nil {
		return fmt.Errorf("%s: process.oomScoreAdj: %w", configPath, err)
	}
	own, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return err
	}
	floor, err := strconv.Atoi(strings.TrimSpace(string(own)))
	if err != nil || requested >= floor {
		return err
	}
	process["oomScoreAdj"] = json.RawMessage(strconv.Itoa(floor))
	if spec["process"], err = json.Marshal(process); err != nil {
		return err
	}
	updated, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	info, err := os.Stat(configPath)
	if err != nil {
		return err
	}
	return os.WriteFile(configPath, updated, info.Mode().Perm())
}
