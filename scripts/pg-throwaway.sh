# Source this to start a throwaway Postgres cluster from the local initdb/pg_ctl binaries and export
# TOLLGATE_TEST_PG_URL; call pg_throwaway_stop to stop it and delete its folder.
pg_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_throwaway_start() {
  local bin; bin=$(pg_bin_dir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then echo "no Postgres server binaries (initdb, pg_ctl) found" >&2; return 1; fi
  PG_THROWAWAY_DIR=$(mktemp -d /tmp/tollgate-pg.XXXXXX)
  local port; port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  local run=()
  # initdb refuses to run as root: run the cluster as the postgres user.
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_THROWAWAY_DIR"; chmod 755 "$PG_THROWAWAY_DIR"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$PG_THROWAWAY_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/log" -w -t 60 \
    -o "-p $port -k $PG_THROWAWAY_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  PG_THROWAWAY_BIN=$bin
  PG_THROWAWAY_RUN="${run[*]}"
  export TOLLGATE_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "throwaway Postgres ($("$bin/postgres" --version)) at $TOLLGATE_TEST_PG_URL" >&2
}

pg_throwaway_stop() {
  [ -n "${PG_THROWAWAY_DIR:-}" ] || return 0
  $PG_THROWAWAY_RUN "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=
}
