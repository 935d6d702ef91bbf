# Stand-in for nginxinc/nginx-unprivileged:<version>-alpine (apps/base-images.json), for machines
# that reach no container registry: Debian's nginx (>= 1.27.3, for `server ... resolve`) and its
# njs module, on the Debian root filesystem the rehearsal imports, laid out like the official
# image: user nginx (101), modules at /etc/nginx/modules (a link to /usr/lib/nginx/modules), html
# at /usr/share/nginx/html, the logs linked to stdout and stderr, /etc/nginx and /var/cache/nginx
# owned by 101, a default server on 8080, and the same STOPSIGNAL, USER and CMD.
# Not carried over: the official entrypoint scripts (/docker-entrypoint.d), which only edit the
# default server's files; the gateway's pod overrides the command and skips them anyway.
ARG ROOTFS
FROM ${ROOTFS}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN echo 'nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin' >> /etc/passwd \
    && echo 'nginx:x:101:' >> /etc/group \
    && rm -rf /etc/nginx/sites-available /etc/nginx/sites-enabled /etc/nginx/modules-available \
              /etc/nginx/modules-enabled /etc/nginx/conf.d \
    && mkdir -p /etc/nginx/conf.d /var/cache/nginx /var/log/nginx /usr/share/nginx/html \
    && ln -s /usr/lib/nginx/modules /etc/nginx/modules \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
COPY default.conf /etc/nginx/conf.d/default.conf
RUN chown -R 101:0 /etc/nginx /var/cache/nginx \
    && chmod -R g+w /etc/nginx /var/cache/nginx \
    && nginx -V 2>&1 | head -1
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101
CMD ["nginx", "-g", "daemon off;"]
