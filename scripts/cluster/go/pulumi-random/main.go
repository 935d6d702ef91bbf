// The random resource provider (pulumi-resource-random) that @pulumi/random asks the engine for,
// made from its Terraform provider through the Pulumi bridge, as pulumi-random's release is: the
// Go module proxy serves no version of github.com/pulumi/pulumi-random's provider module, so its
// few lines of description (info/) are written here; the schema is the bridge's own generator's
// output (tfgen/), made by the build before this is compiled.
package main

import (
	"context"
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"books-gateway.local/cluster/pulumi-random/info"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	tfbridge.Main(context.Background(), "random", info.Provider(metadata), tfbridge.ProviderMetadata{PackageSchema: schema, BridgeMetadata: metadata})
}
