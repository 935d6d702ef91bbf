/**
 * nginx's temp paths, all under one writable folder: without them nginx writes to compiled-in
 * paths (/var/lib/nginx, /var/cache/nginx) that a read-only root filesystem or a normal user
 * cannot write.
 */
export function tempPathDirectives(runDir: string): string[] {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${runDir}/${kind};`);
}
