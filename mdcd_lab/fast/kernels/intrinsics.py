"""The numba intrinsics of the kernels: code lowered in place, not compiled as functions.

* ``arena``: an array's data pointer (the rules get the arenas as pointers);
* ``rd`` / ``wr``: ``A[i]`` and ``A[i] = v`` with an unsigned index (no wraparound code),
  on an arena's pointer or a 1-d array; ``layout`` re-exports them with the slots, and
  every rule imports them from there;
* ``call_c`` / ``call_c_int64``: a call of a C function through its address (the cold
  rules and the event loop compiled apart, ``kernels/cold.py``).

An intrinsic costs the compiler no function of its own: no typing of a body, no library
optimised, emitted and cached, no call emitted at each site for LLVM to inline again
(issue 20, item 2: ``rd``, ``wr`` and ``layout.pp`` are called ~1,860 times in the rules;
docs/scaling.md, "The accessors as intrinsics").  Each lowers exactly what numba lowers for
the Python it stands for, so the numbers do not change (the hashes of
``benchmarks/hash_results.py``; ``tests/test_fast_arena.py`` compares each with numba's
own indexing).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import load_item, store_item


@intrinsic
def arena(typingctx, arr):
    """The data pointer of a C-contiguous 1-d array, typed ``CPointer(dtype)``.

    ``engine.play_run`` (and ``engine.collect``) hand the rules the arenas ``I`` and
    ``D`` as these pointers: a call then passes one register per arena instead of an array's
    seven fields (issue 20's profile: the non-inlined rules' calls).  ``rd`` and
    ``wr`` index a pointer like the array (numba types ``ptr[i]`` as a load of
    ``dtype``), so every rule reads the same.  The caller keeps the array alive
    for as long as the pointer is used (``play_run``'s caller owns it)."""
    if isinstance(arr, types.CPointer):   # a pointer already (cold.LOOP's arguments)
        return arr(arr), lambda context, builder, signature, args: args[0]
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout == "C"):
        return None
    sig = types.CPointer(arr.dtype)(arr)

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data
    return sig, codegen


def _call_codegen(context, builder, signature, llargs):
    """Call the C function at address ``llargs[0]`` with the values of the tuple
    ``llargs[1]`` (``call_c``, ``call_c_int64``)."""
    values = cgutils.unpack_tuple(builder, llargs[1])
    fnty = ir.FunctionType(context.get_value_type(signature.return_type)
                           if signature.return_type != types.void else ir.VoidType(),
                           [context.get_value_type(t) for t in signature.args[1].types])
    result = builder.call(builder.inttoptr(llargs[0], fnty.as_pointer()), values)
    return context.get_dummy_value() if signature.return_type == types.void else result


#: The C types a call through an address passes (``cold.RULES``' and ``cold.LOOP``'s
#: signatures): the arenas' and the trace columns' pointers, int64, float64.
C_ARG_TYPES = (types.CPointer(types.int64), types.CPointer(types.float64), types.int64,
               types.float64)


def _call_typing(result, addr, args):
    """The signature and code of a call through an address returning ``result``; None
    (no match) unless ``addr`` is an integer and ``args`` a tuple of ``C_ARG_TYPES``
    (only the C types of ``cold.RULES``' and ``cold.LOOP``'s signatures: no silent casts)."""
    if not (isinstance(addr, types.Integer) and isinstance(args, types.BaseTuple)
            and all(t in C_ARG_TYPES for t in args.types)):
        return None
    return result(addr, args), _call_codegen


@intrinsic
def call_c(typingctx, addr, args):
    """Call the C function at address ``addr`` (an int64) with the values of the tuple
    ``args``, for nothing back: a rule compiled apart (``kernels/cold.py``) whose C
    signature has the numba types of ``args`` (``call_rule`` checks the address)."""
    return _call_typing(types.void, addr, args)


@intrinsic
def call_c_int64(typingctx, addr, args):
    """``call_c`` for a C function that returns an int64: the event loop compiled apart
    (``cold.LOOP``), called by ``drivers.play``."""
    return _call_typing(types.int64, addr, args)


def _element_pointer(context, builder, aryty, ary, ity, i):
    """Pointer to element ``i`` (of integer type ``ity``, taken as a ``uintp``) of ``ary``:
    an arena's pointer or a 1-d array (``A[np.uintp(i)]``: no wraparound, no bounds check,
    as numba indexes it)."""
    idx = context.cast(builder, i, ity, types.uintp)
    if isinstance(aryty, types.CPointer):
        return builder.gep(ary, [idx])
    return cgutils.get_item_pointer(context, builder, aryty,
                                    context.make_array(aryty)(context, builder, ary), [idx],
                                    wraparound=False)


def _indexable(aryty, ity):
    """Whether ``rd`` / ``wr`` take these numba types: an arena's pointer or a 1-d array,
    an integer index."""
    return isinstance(ity, types.Integer) and (
        isinstance(aryty, types.CPointer) or (isinstance(aryty, types.Array) and aryty.ndim == 1))


@intrinsic
def rd(typingctx, A, i):
    """``A[i]`` for an index known to be >= 0 (no negative-index wraparound code);
    ``A`` an array or an arena's pointer (``arena``).

    An intrinsic, not a kernel: each call is lowered in place to numba's own element
    pointer and load (``A[np.uintp(i)]``), so the compiler neither types a call nor
    emits and then inlines one at each of the rules' ~1,560 reads and writes."""
    # reads A[i]
    if not _indexable(A, i):
        return None

    def codegen(context, builder, signature, args):
        aryty, ity = signature.args
        ptr = _element_pointer(context, builder, aryty, args[0], ity, args[1])
        if isinstance(aryty, types.CPointer):
            return builder.load(ptr)
        return load_item(context, builder, aryty, ptr)
    return A.dtype(A, i), codegen


@intrinsic
def wr(typingctx, A, i, v):
    """``A[i] = v`` for an index known to be >= 0; ``A`` an array or an arena's pointer
    (``v`` converted to ``A``'s dtype as numba's ``A[i] = v`` converts it).  An intrinsic,
    as ``rd``."""
    # writes A[i]
    if not _indexable(A, i) or typingctx.can_convert(v, A.dtype) is None \
            or (isinstance(A, types.Array) and not A.mutable):   # numba refuses it too
        return None

    def codegen(context, builder, signature, args):
        aryty, ity, vty = signature.args
        ptr = _element_pointer(context, builder, aryty, args[0], ity, args[1])
        val = context.cast(builder, args[2], vty, aryty.dtype)
        if isinstance(aryty, types.CPointer):
            builder.store(val, ptr)
        else:
            store_item(context, builder, aryty, val, ptr)
        return context.get_dummy_value()
    return types.none(A, i, v), codegen
