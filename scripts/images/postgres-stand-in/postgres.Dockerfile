# Stand-in for postgres:<version>-trixie (apps/base-images.json), for machines that reach no
# container registry: Debian 13's own postgresql-17 (the official image's Debian and major
# release; its minor release may differ), on the trixie root filesystem the stand-ins import, laid
# out like the official image: user postgres with uid and gid 999 and home /var/lib/postgresql,
# the server's programs on the PATH, PGDATA /var/lib/postgresql/data, /var/run/postgresql
# writable by the user, an entrypoint that initialises an empty PGDATA from POSTGRES_USER,
# POSTGRES_PASSWORD(_FILE) and POSTGRES_DB, and the same STOPSIGNAL, EXPOSE and CMD.
# Not carried over: /docker-entrypoint-initdb.d scripts, running as root then stepping down to
# postgres (gosu), nss_wrapper for arbitrary uids, and the en_US.UTF-8 locale (C.UTF-8 here).
ARG ROOTFS
FROM ${ROOTFS}
ENV PG_MAJOR=17
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
# The package made its own cluster and gave its user a dynamic uid: neither is the image's.
RUN if [ -d /etc/postgresql/17/main ]; then pg_dropcluster 17 main; fi \
    && usermod --uid 999 --home /var/lib/postgresql postgres \
    && groupmod --gid 999 postgres \
    && install --directory --owner postgres --group postgres --mode 3777 /var/run/postgresql \
    && install --directory --owner postgres --group postgres --mode 1777 /var/lib/postgresql "$PGDATA" \
    && chown -R postgres:postgres /var/log/postgresql \
    && postgres --version
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
