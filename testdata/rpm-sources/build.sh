#!/bin/sh
# build.sh VERSION SRCDIR PREFIX DESTDIR
#
# Builds and installs one rpm release from its unpacked source tree SRCDIR
# (an unmodified tarball of this directory, extracted by the caller, who
# has checked its sha256): configured for PREFIX, installed with
# DESTDIR=DESTDIR, so that the caller can rename DESTDIR/PREFIX to PREFIX.
# internal/e2e/rpmversions.go calls it once per machine and caches the
# result; this script is part of its cache key. The options are in
# README.md beside it. JOBS sets make's -j (default: the number of CPUs).
#
# Everything is inside PREFIX (macros, rpmrc, popt aliases, its own
# /etc): the built rpm never reads the host rpm's configuration. Its
# database is wherever --root and --dbpath say.
set -eu
version=$1 src=$2 prefix=$3 destdir=$4
jobs=${JOBS:-$(nproc)}
cd "$src"

# Only what rpm needs to read, verify, install and erase packages: no
# Python bindings, plugins (SELinux, fapolicyd, ...), NLS, SELinux, file
# capabilities, ACLs or libarchive; OpenSSL digests, zstd, Lua.
common="--prefix=$prefix --sysconfdir=$prefix/etc --localstatedir=/var --with-crypto=openssl
 --enable-zstd --with-lua --disable-python --disable-plugins --disable-nls
 --without-selinux --without-cap --without-acl --without-archive --without-imaevm"

# A pkg-config directory whose lua.pc is the Lua this version is built with
# (Debian's lua.pc is whichever liblua*-dev came last).
lua_pc() {
    mkdir -p "$src/.pc-lua"
    ln -sf "/usr/lib/$(gcc -print-multiarch)/pkgconfig/lua$1.pc" "$src/.pc-lua/lua.pc"
    PKG_CONFIG_PATH=$src/.pc-lua
    export PKG_CONFIG_PATH
}

# awk is gawk: rpm 4.19's tag-table generator needs it (with mawk every
# package reads as "invalid signature tag (unknown) (257)").
mkdir -p "$src/.bin"
ln -sf "$(command -v gawk)" "$src/.bin/awk"
PATH=$src/.bin:$PATH
export PATH

case $version in
4.14.3)
    # Debian's OpenSSL 3 has no MD2 (OPENSSL_NO_MD2): guard its case.
    awk '/case PGPHASHALGO_MD2:/ { print "#ifndef OPENSSL_NO_MD2"; print; getline; print; print "#endif"; next } { print }' \
        rpmio/digest_openssl.c >rpmio/digest_openssl.c.new
    mv rpmio/digest_openssl.c.new rpmio/digest_openssl.c
    grep -q 'ifndef OPENSSL_NO_MD2' rpmio/digest_openssl.c
    # Debian's Lua 5.3 is built without LUA_COMPAT_MODULE (EL8's has it):
    # rpm 4.14 calls luaL_openlib, luaL_register and luaL_pushmodule, which
    # come from this small library, Lua 5.3's own code for them.
    cat >luacompat.c <<'EOF'
#define LUA_COMPAT_MODULE
#include <string.h>
#include <lua.h>
#include <lauxlib.h>

static const char *findtable(lua_State *L, int idx, const char *fname, int szhint)
{
    const char *e;
    if (idx) lua_pushvalue(L, idx);
    do {
        e = strchr(fname, '.');
        if (e == NULL) e = fname + strlen(fname);
        lua_pushlstring(L, fname, e - fname);
        if (lua_rawget(L, -2) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_createtable(L, 0, (*e == '.' ? 1 : szhint));
            lua_pushlstring(L, fname, e - fname);
            lua_pushvalue(L, -2);
            lua_settable(L, -4);
        } else if (!lua_istable(L, -1)) {
            lua_pop(L, 2);
            return fname;
        }
        lua_remove(L, -2);
        fname = e + 1;
    } while (*e == '.');
    return NULL;
}

static int libsize(const luaL_Reg *l)
{
    int size = 0;
    for (; l && l->name; l++) size++;
    return size;
}

void luaL_pushmodule(lua_State *L, const char *modname, int sizehint)
{
    findtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE, 1);
    if (lua_getfield(L, -1, modname) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_pushglobaltable(L);
        if (findtable(L, 0, modname, sizehint) != NULL)
            luaL_error(L, "name conflict for module '%s'", modname);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, modname);
    }
    lua_remove(L, -2);
}

void luaL_openlib(lua_State *L, const char *libname, const luaL_Reg *l, int nup)
{
    luaL_checkversion(L);
    if (libname) {
        luaL_pushmodule(L, libname, libsize(l));
        lua_insert(L, -(nup + 1));
    }
    if (l) luaL_setfuncs(L, l, nup);
    else lua_pop(L, nup);
}
EOF
    lua_pc 5.3
    luacflags="$(pkg-config --cflags lua) -DLUA_COMPAT_5_2 -DLUA_COMPAT_MODULE"
    # shellcheck disable=SC2086
    gcc -O2 -fPIC $luacflags -c luacompat.c -o luacompat.o
    ar rcs libluacompat.a luacompat.o
    ./autogen.sh --noconfigure
    # shellcheck disable=SC2086
    ./configure $common --with-external-db \
        LUA_CFLAGS="$luacflags" LUA_LIBS="$src/libluacompat.a $(pkg-config --libs lua)"
    ;;
4.16.1.3)
    # As AlmaLinux 9's spec configures it: sqlite database, ndb and
    # read-only Berkeley DB for conversions.
    # Its database is sqlite, as EL9's (the tarball's macros say bdb, which
    # this build cannot write; EL9's spec switches it the same way).
    sed -i -e '/^%_db_backend/ s/bdb$/sqlite/' macros.in
    grep -q '^%_db_backend.*sqlite$' macros.in
    lua_pc 5.4
    ./autogen.sh --noconfigure
    # shellcheck disable=SC2086
    ./configure $common --enable-bdb=no --enable-bdb-ro --enable-ndb --enable-sqlite
    ;;
4.19.1.1)
    lua_pc 5.4
    mkdir -p _build
    cd _build
    # Its own librpm.so.10 through the run path (cmake sets none).
    cmake -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_SYSCONFDIR="$prefix/etc" \
        -DCMAKE_INSTALL_LOCALSTATEDIR=/var -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH="$prefix/lib" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUA_INCLUDE_DIR=/usr/include/lua5.4 \
        -DLUA_LIBRARY="/usr/lib/$(gcc -print-multiarch)/liblua5.4.so" \
        -DWITH_INTERNAL_OPENPGP=ON -DWITH_OPENSSL=ON -DENABLE_SQLITE=ON -DENABLE_NDB=ON -DENABLE_BDB_RO=OFF \
        -DENABLE_PYTHON=OFF -DENABLE_PLUGINS=OFF -DENABLE_NLS=OFF -DENABLE_OPENMP=OFF -DENABLE_TESTSUITE=OFF \
        -DWITH_CAP=OFF -DWITH_ACL=OFF -DWITH_ARCHIVE=OFF -DWITH_SELINUX=OFF -DWITH_DBUS=OFF -DWITH_AUDIT=OFF \
        -DWITH_FAPOLICYD=OFF -DWITH_IMAEVM=OFF -DWITH_FSVERITY=OFF -DWITH_READLINE=OFF ..
    make -j"$jobs"
    make install DESTDIR="$destdir"
    exit 0
    ;;
*)
    echo "build.sh: no recipe for rpm $version" >&2
    exit 2
    ;;
esac
make -j"$jobs"
make install DESTDIR="$destdir"
