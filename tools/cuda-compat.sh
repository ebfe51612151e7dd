#!/usr/bin/env bash
# Builds a directory that lets the JCuda bindings this project uses run on a machine that has only newer
# NVIDIA libraries, e.g. CUDA 13 (libcublas.so.13) and cuDNN 9 (libcudnn.so.9) from PyTorch's pip wheels.
#
# Why a plain symlink (libcublas.so.12 -> libcublas.so.13) is not enough:
#   * libJCublas2-12.6.0 imports 494 symbols as `name@libcublas.so.12` and libJCudnn-11.7.0 imports 260 as
#     `name@libcudnn.so.8` (readelf -V: a .gnu.version_r entry per library). NVIDIA's newer libraries define
#     only their own version node (libcublas.so.13, libcudnn.so.9), so ld.so refuses the symlinked file with
#     "version `libcublas.so.12' not found". This script copies the JNI library and rewrites its version
#     references: the requirement becomes weak (VER_FLG_WEAK) and each imported symbol becomes unversioned,
#     so ld.so binds it to the single default version the newer library exports.
#   * JCudnn 11.7.0 is the last JCudnn release; with jcuda 12.6.0 on the class path its loader asks for
#     libJCudnn-12.6.0-linux-x86_64.so (the name is built from jcuda.JCudaVersion), which no jar contains.
#     The patched 11.7.0 library is written under that name, to be found through -Djava.library.path.
#   * Functions removed in the newer major version stay unresolved. JNI libraries are loaded with lazy
#     binding, so that is harmless until such a function is called, and then the JVM dies with "symbol lookup
#     error". The check below lists every import the target lacks and fails if one of those this project
#     calls (CublasRoute, CudnnRoute) is among them.
#   * It cannot prove ABI compatibility: a function whose arguments changed meaning across the major version
#     would still bind. The device tests (CudaLibrariesTest, the parity tests) are what establish that.
#
# Seen on the H200 machine (CUDA 13.0 toolkit, driver 580): libcublas.so.13.1.0.3 exports all 494 imports of
# libJCublas2; the libcudnn.so.9.14.0 shim exports 206 of JCudnn's 260 (the 54 missing are the RNN v6/v7 API,
# the algorithm-descriptor API and the *VersionCheck functions, none called here). Through this directory
# CudaLibrariesTest's device tests (GEMM, convolution, batch norm against the reference backend) pass.
#
# Usage: tools/cuda-compat.sh [OUT_DIR]        (default: target/cuda-compat)
#   JCUDA_JARS  colon-separated folders searched for the natives jars (jcublas-natives-12.6.0-linux-x86_64.jar,
#               jcudnn-natives-11.7.0-linux-x86_64.jar); ~/.m2/repository/org/jcuda and the repository are
#               always searched.
#   CUDA_LIBS   colon-separated folders searched for NVIDIA libraries instead of the whole file system.
# It prints what it linked and the two settings the JVM then needs.
set -euo pipefail

out=${1:-target/cuda-compat}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
py=$(command -v python3 || command -v python || true)
[[ -n $py ]] || { echo "cuda-compat: python3 is needed to patch ELF version references" >&2; exit 2; }

# ---- ELF helper (pure Python, no dependencies): patch / check / verdefs ----
helper="$out/.elfcompat.py"
trap 'rm -f "$helper"' EXIT
cat >"$helper" <<'PY'
import struct, sys

SHT_DYNSYM, SHT_VERDEF, SHT_VERNEED, SHT_VERSYM = 11, 0x6ffffffd, 0x6ffffffe, 0x6fffffff
VER_FLG_WEAK = 0x2

class Elf:
    def __init__(self, path, writable=False):
        with open(path, 'rb') as f:
            self.b = bytearray(f.read())
        if self.b[:4] != b'\x7fELF' or self.b[4] != 2 or self.b[5] != 1:
            raise SystemExit(path + ': not a little-endian 64-bit ELF file')
        shoff, = struct.unpack_from('<Q', self.b, 0x28)
        shentsize, shnum = struct.unpack_from('<HH', self.b, 0x3a)
        self.sections = []
        for i in range(shnum):
            name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
                '<IIQQQQIIQQ', self.b, shoff + i * shentsize)
            self.sections.append(dict(type=typ, off=off, size=size, link=link, info=info, entsize=entsize))

    def section(self, typ):
        return next((s for s in self.sections if s['type'] == typ), None)

    def cstr(self, off):
        return bytes(self.b[off:self.b.index(0, off)]).decode()

    def dynsyms(self):
        """(index, name, defined) for each dynamic symbol."""
        sym = self.section(SHT_DYNSYM)
        strtab = self.sections[sym['link']]['off']
        for i in range(sym['size'] // 24):
            name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', self.b, sym['off'] + 24 * i)
            yield i, self.cstr(strtab + name), shndx != 0

    def verneed(self):
        """(vernaux offset, needed file, version name, version index) for each version requirement."""
        s = self.section(SHT_VERNEED)
        if s is None:
            return
        strtab = self.sections[s['link']]['off']
        off = s['off']
        for _ in range(s['info']):
            version, cnt, vfile, aux, nxt = struct.unpack_from('<HHIII', self.b, off)
            a = off + aux
            for _ in range(cnt):
                vhash, flags, other, vname, anext = struct.unpack_from('<IHHII', self.b, a)
                yield a, self.cstr(strtab + vfile), self.cstr(strtab + vname), other
                a += anext
            off += nxt

    def verdefs(self):
        s = self.section(SHT_VERDEF)
        if s is None:
            return []
        strtab = self.sections[s['link']]['off']
        names, off = [], s['off']
        for _ in range(s['info']):
            version, flags, ndx, cnt, vhash, aux, nxt = struct.unpack_from('<HHHHIII', self.b, off)
            vname, = struct.unpack_from('<I', self.b, off + aux)
            names.append(self.cstr(strtab + vname))
            off += nxt
        return names

def patch(src, dst, soname):
    """Weakens the requirement on version node `soname` and unversions the symbols that referenced it."""
    elf = Elf(src)
    indices = set()
    for aux, vfile, vname, other in elf.verneed():
        if vfile == soname:
            flags, = struct.unpack_from('<H', elf.b, aux + 4)
            struct.pack_into('<H', elf.b, aux + 4, flags | VER_FLG_WEAK)
            indices.add(other)
    if not indices:
        raise SystemExit(src + ': no version requirement on ' + soname + ' (nothing to patch)')
    versym = elf.section(SHT_VERSYM)
    changed = 0
    for i, name, defined in elf.dynsyms():
        at = versym['off'] + 2 * i
        ndx, = struct.unpack_from('<H', elf.b, at)
        if not defined and (ndx & 0x7fff) in indices:
            struct.pack_into('<H', elf.b, at, 1)  # VER_NDX_GLOBAL: bind to the default version
            changed += 1
    with open(dst, 'wb') as f:
        f.write(elf.b)
    print('  patched %s -> %s: %d imports of %s made unversioned' % (src.split('/')[-1], dst, changed, soname))

def imports_from(elf, soname):
    names = set()
    versym = elf.section(SHT_VERSYM)
    wanted = {other for _, vfile, _, other in elf.verneed() if vfile == soname}
    for i, name, defined in elf.dynsyms():
        ndx, = struct.unpack_from('<H', elf.b, versym['off'] + 2 * i)
        if not defined and (ndx & 0x7fff) in wanted:
            names.add(name)
    return names

def check(jni, soname, targets, used):
    """Lists the imports of `jni` from `soname` that none of `targets` defines; fails if a used one is missing."""
    need = imports_from(Elf(jni), soname)
    have = set()
    for t in targets:
        have |= {name for _, name, defined in Elf(t).dynsyms() if defined}
    missing = sorted(need - have)
    print('  %s: %d imports from %s, %d found in %s, %d missing'
          % (jni.split('/')[-1], len(need), soname, len(need) - len(missing),
             ' + '.join(t.split('/')[-1] for t in targets), len(missing)))
    if missing:
        print('    missing (harmless unless called): ' + ' '.join(missing))
    fatal = sorted(set(used) & set(missing))
    if fatal:
        print('    FATAL: this project calls ' + ' '.join(fatal))
        sys.exit(1)

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'patch':
        patch(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == 'check':
        check(sys.argv[2], sys.argv[3], sys.argv[4].split(':'), sys.argv[5].split(','))
    elif cmd == 'extract':  # extract JAR ENTRY DEST (no unzip needed)
        import zipfile
        with zipfile.ZipFile(sys.argv[2]) as z, open(sys.argv[4], 'wb') as f:
            f.write(z.read(sys.argv[3]))
    elif cmd == 'verdefs':
        print(' '.join(sorted(set(Elf(sys.argv[2]).verdefs()))) or '(none)')
PY

# ---- find the inputs ----
find_jar() {
    local name=$1 dirs=("$HOME/.m2/repository/org/jcuda" "$repo")
    [[ -n ${JCUDA_JARS:-} ]] && IFS=: read -r -a extra <<<"$JCUDA_JARS" && dirs=("${extra[@]}" "${dirs[@]}")
    for d in "${dirs[@]}"; do
        [[ -d $d ]] || continue
        local hit
        hit=$(find "$d" -name "$name" -print -quit 2>/dev/null)
        [[ -n $hit ]] && { echo "$hit"; return; }
    done
}
if [[ -n ${CUDA_LIBS:-} ]]; then
    IFS=: read -r -a roots <<<"$CUDA_LIBS"
    libs=$(find "${roots[@]}" -name 'libcu*.so*' 2>/dev/null || true)
else
    libs=$(find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -name 'libcu*.so*' -print 2>/dev/null || true)
fi

# Newest file named exactly <base>.so.<major> (any major), preferring the major the binding was built for.
pick_lib() {
    local base=$1 want=$2
    local exact newest
    exact=$(grep -E "/$base\.so\.$want\$" <<<"$libs" | head -n1 || true)
    [[ -n $exact ]] && { echo "$exact"; return; }
    newest=$(grep -E "/$base\.so\.[0-9]+\$" <<<"$libs" | awk -F'.so.' '{print $NF "\t" $0}' | sort -n -r | head -n1 | cut -f2 || true)
    echo "$newest"
}

status=0
ldpath=("$out")
jvmlibpath=("$out")

# Links <soname> -> <lib> in OUT_DIR, installs the JNI library (patched when the major differs) under <jniname>.
route() {
    local label=$1 jar=$2 jnientry=$3 jniname=$4 soname=$5 lib=$6 used=$7
    echo "$label:"
    if [[ -z $jar ]]; then echo "  natives jar not found (set JCUDA_JARS)"; status=1; return; fi
    if [[ -z $lib ]]; then echo "  no ${soname%%.so.*}.so.N found on this machine"; status=1; return; fi
    local real tmp jni
    real=$(readlink -f "$lib")
    tmp=$(mktemp -d)
    jni="$tmp/$(basename "$jnientry")"
    "$py" "$helper" extract "$jar" "$jnientry" "$jni"
    echo "  natives jar: $jar"
    echo "  found: $lib -> $real (defines version nodes: $("$py" "$helper" verdefs "$real"))"
    ln -sfn "$real" "$out/$soname"
    echo "  linked: $out/$soname -> $real"
    # The linked library finds its own dependencies (libcublasLt, cuDNN 9's sub-libraries, which its shim
    # opens with dlopen) through RUNPATH $ORIGIN, which ld.so may resolve against the symlink's folder rather
    # than the target's: link the NVIDIA siblings here too, so LD_LIBRARY_PATH=OUT_DIR alone is enough.
    local dir sib siblings=0
    dir=$(dirname "$real")
    for sib in "$dir"/libcublas*.so* "$dir"/libcudnn*.so* "$dir"/libnvrtc*.so* "$dir"/libnvJitLink*.so* \
               "$dir"/libcudart*.so*; do
        [[ -e $sib && ! -e $out/$(basename "$sib") ]] || continue
        ln -s "$sib" "$out/$(basename "$sib")"
        siblings=$((siblings + 1))
    done
    echo "  linked $siblings NVIDIA libraries beside it from $dir"
    [[ " ${ldpath[*]} " == *" $dir "* ]] || ldpath+=("$dir")
    if [[ $(basename "$lib") == "$soname" ]]; then
        cp "$jni" "$out/$jniname"
        echo "  installed unchanged: $out/$jniname"
    else
        "$py" "$helper" patch "$jni" "$out/$jniname" "$soname"
    fi
    # Only the linked library counts: cuDNN 9's sub-libraries (libcudnn_cnn, _ops, ...) are opened by the
    # libcudnn.so.9 shim with dlopen, so their symbols are not in the JNI library's lookup scope.
    "$py" "$helper" check "$jni" "$soname" "$real" "$used" || status=1
    rm -rf "$tmp"
}

cublas_used=cublasCreate_v2,cublasDestroy_v2,cublasSetStream_v2,cublasSetMathMode,cublasSetPointerMode_v2,cublasGetVersion_v2,cublasSgemm_v2
cudnn_used=cudnnCreate,cudnnDestroy,cudnnGetVersion,cudnnGetErrorString,cudnnSetStream,\
cudnnCreateTensorDescriptor,cudnnSetTensor4dDescriptor,cudnnDestroyTensorDescriptor,\
cudnnCreateFilterDescriptor,cudnnSetFilter4dDescriptor,cudnnDestroyFilterDescriptor,\
cudnnCreateConvolutionDescriptor,cudnnSetConvolution2dDescriptor,cudnnSetConvolutionMathType,\
cudnnDestroyConvolutionDescriptor,cudnnGetConvolutionForwardAlgorithmMaxCount,\
cudnnGetConvolutionForwardAlgorithm_v7,cudnnGetConvolutionBackwardDataAlgorithmMaxCount,\
cudnnGetConvolutionBackwardDataAlgorithm_v7,cudnnGetConvolutionBackwardFilterAlgorithmMaxCount,\
cudnnGetConvolutionBackwardFilterAlgorithm_v7,cudnnConvolutionForward,cudnnConvolutionBackwardData,\
cudnnConvolutionBackwardFilter,cudnnAddTensor,cudnnDeriveBNTensorDescriptor,\
cudnnBatchNormalizationForwardTraining,cudnnBatchNormalizationForwardInference,cudnnBatchNormalizationBackward,\
cudnnFindConvolutionForwardAlgorithmEx,cudnnFindConvolutionBackwardDataAlgorithmEx,\
cudnnFindConvolutionBackwardFilterAlgorithmEx

route "cuBLAS (JCublas2 12.6.0 needs libcublas.so.12)" \
    "$(find_jar jcublas-natives-12.6.0-linux-x86_64.jar)" lib/libJCublas2-12.6.0-linux-x86_64.so \
    libJCublas2-12.6.0-linux-x86_64.so libcublas.so.12 "$(pick_lib libcublas 12)" "$cublas_used"
route "cuDNN (JCudnn 11.7.0 needs libcudnn.so.8)" \
    "$(find_jar jcudnn-natives-11.7.0-linux-x86_64.jar)" lib/libJCudnn-11.7.0-linux-x86_64.so \
    libJCudnn-12.6.0-linux-x86_64.so libcudnn.so.8 "$(pick_lib libcudnn 8)" "$cudnn_used"

join() { local IFS=:; echo "$*"; }
echo
echo "Run the JVM with:"
echo "  export LD_LIBRARY_PATH=$(join "${ldpath[@]}")\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
echo "  java -Djava.library.path=$(join "${jvmlibpath[@]}") ..."
exit $status
