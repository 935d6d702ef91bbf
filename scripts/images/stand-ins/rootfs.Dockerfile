# The root filesystem mmdebstrap made (rootfs.tar in the build context), as an image of the
# platform it was made for: `docker build --platform` records it, where `docker import --platform`
# (Docker 20.10) records the machine's own, and a build for another platform then looks for the
# image in a registry instead of using it.
FROM scratch
ADD rootfs.tar /
