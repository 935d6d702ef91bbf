// The Docker engine's runtime adapter for machines without CAP_SYS_RESOURCE (main.go).
module books-gateway.local/cluster/runtime-adapter

go 1.26.0
