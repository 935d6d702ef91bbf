// Package info says how the Pulumi bridge presents the random Terraform provider: the package
// `random`, every resource `random_<name>` in module index as `Random<Name>`. These are the
// tokens @pulumi/random's SDK registers (random:index/randomPassword:RandomPassword), so the
// plugin built here serves that SDK as pulumi-random's release would.
package info

import (
	"context"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is stamped at build time (-ldflags -X): the version the plugin is installed as.
var Version string

// Provider is the bridge's description of the provider; metadata is what the schema generator
// wrote beside the schema (nil while it runs).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	provider := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		License:      "Apache-2.0",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		// The one resource without an `id` attribute, which every Pulumi resource needs.
		Resources: map[string]*tfbridge.ResourceInfo{"random_bytes": {ComputeID: bytesID}},
	}
	standard := tokens.MakeStandard("random")
	provider.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return standard(module, "Random"+name)
	}))
	return provider
}

// bytesID names a RandomBytes by its value, as pulumi-random's release does.
func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	value, ok := state["base64"]
	if ok && value.IsSecret() {
		value = value.SecretValue().Element
	}
	if !ok || !value.IsString() {
		return "", errors.New("random_bytes has no base64 value to be named by")
	}
	return resource.ID(value.StringValue()), nil
}
