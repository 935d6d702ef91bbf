# Stand-in for nginx/nginx-prometheus-exporter:<version> (apps/base-images.json), for machines
# that reach no container registry: Debian's prometheus-nginx-exporter, on the Debian root
# filesystem the rehearsal imports, with the official image's entrypoint path, user and port.
ARG ROOTFS
FROM ${ROOTFS}
RUN ln -s prometheus-nginx-exporter /usr/bin/nginx-prometheus-exporter \
    && /usr/bin/nginx-prometheus-exporter --version
USER 1001:1001
EXPOSE 9113
ENTRYPOINT ["/usr/bin/nginx-prometheus-exporter"]
