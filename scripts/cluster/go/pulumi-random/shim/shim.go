// Package shim hands the random Terraform provider to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	random "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider is the Terraform provider, as its own plugin serves it.
func NewProvider() provider.Provider {
	return random.New()
}
