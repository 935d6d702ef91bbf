// The schema generator of the provider below: `tfgen schema --out <folder>` writes schema.json
// and bridge-metadata.json, which the provider embeds. Run by the build, never installed.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"books-gateway.local/cluster/pulumi-random/info"
)

func main() {
	tfgen.Main("random", info.Provider(nil))
}
