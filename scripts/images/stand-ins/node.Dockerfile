# Stand-in for node:<version>-alpine (apps/base-images.json), for machines that reach no
# container registry: the same Node.js release (the npm registry's node-linux-<arch> package) and
# an npm, on the Debian root filesystem the rehearsal imports. Laid out like the official image:
# node and npm in /usr/local/bin, the user `node` with uid and gid 1000.
ARG ROOTFS
FROM ${ROOTFS}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd \
    && echo 'node:x:1000:' >> /etc/group \
    && mkdir -p /home/node && chown 1000:1000 /home/node \
    && node --version && npm --version
# This machine reaches the npm registry only through its own CA (a proxy that re-signs TLS): the
# build stages' `npm ci` needs it. Only this stand-in carries it, never a production image.
COPY host-ca.crt /etc/ssl/certs/rehearsal-host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/rehearsal-host-ca.crt \
    npm_config_cafile=/etc/ssl/certs/rehearsal-host-ca.crt
CMD ["node"]
