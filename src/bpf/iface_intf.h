/* Interface values (any, error, context.Context...): what the BPF program copies behind them.
 * Included by gotap_intf.h; the same rules apply (plain C, fixed-width types, sizes pinned).
 *
 * A capture slot with deref GOTAP_DEREF_IFACE (word 0 is an itab pointer) or GOTAP_DEREF_EFACE
 * (word 0 is a *_type) holds an interface's first word; its len_slot is the slot holding the
 * data word; max_len bounds the bytes the walk may write, plus what the walks before it in the
 * same area left of theirs. After the slot's raw 8 bytes and the
 * u16 byte count n (see struct gotap_capture) follow n bytes of nodes in pre-order:
 *
 *   struct gotap_iface_node, then `copied` bytes read from the data pointer, then for each of
 *   the node's `nstrings` strings a u16 length m and m bytes, then its children's nodes.
 *
 * A node's dynamic type (the _type at itab+8 for IFACE, word 0 for EFACE, as a link-time vaddr:
 * the walk subtracts the load bias, see gotap_site_spec.vaddr) selects a recipe in the hash map
 * `iface_recipes` (written by userspace per session, keyed by that link-time vaddr): how many
 * bytes of the value to copy, which string headers inside the copy to follow, which nested
 * interfaces inside the copy to walk (a context's parent, a wrapped error, a valueCtx's key and
 * value). Types without a recipe whose kind is a plain value (bool, numbers, string) are copied
 * by their _type's size (strings up to the str_max of the recipe stored under key 0, which is
 * never a type address); others get a node without copied bytes. A GOTAP_DEREF_TYPED slot holds
 * a pointer whose type the signature knows: its walk starts at one node of that type (see
 * GOTAP_IFACE_TYPED_ROOTS), and pointer fields are followed as recipe children (child_ptr). Walks
 * stop at GOTAP_IFACE_MAX_NODES nodes, GOTAP_IFACE_MAX_DEPTH levels or the byte budget; a walk cut
 * short sets GOTAP_REC_TRUNCATED, and the node whose children were not walked says why in its
 * flags.
 */
#ifndef GOTAP_BPF_IFACE_INTF_H_
#define GOTAP_BPF_IFACE_INTF_H_

enum gotap_iface_limits {
  GOTAP_IFACE_MAX_NODES = 40,
  GOTAP_IFACE_MAX_DEPTH = 12,    /* nesting levels below the captured interface */
  GOTAP_IFACE_PENDING = 16,      /* interfaces waiting to be walked; a power of two */
  GOTAP_IFACE_MAX_STRINGS = 8,   /* per recipe; a power of two */
  GOTAP_IFACE_MAX_CHILDREN = 4,  /* per recipe */
  GOTAP_IFACE_MAX_COPY = 256,    /* bytes copied per node; a power of two */
  GOTAP_IFACE_MAX_RECIPES = 512, /* entries of `iface_recipes` */
  /* Keys of `iface_recipes` below this are not type addresses: key 0 holds the defaults (the
   * string length of plain values), key 1 + i the root type of typed walk i (its child_type[0];
   * see GOTAP_DEREF_TYPED). */
  GOTAP_IFACE_TYPED_ROOTS = 256,
  GOTAP_IFACE_BASIC_MAX = 16 /* plain values up to this size are copied without a recipe */
};

enum gotap_iface_node_flags {
  GOTAP_IFACE_F_FAULT = 1,    /* a read failed: the itab, the value, a string or an ident var */
  GOTAP_IFACE_F_DEPTH = 2,    /* children not walked: GOTAP_IFACE_MAX_DEPTH */
  GOTAP_IFACE_F_PENDING = 4,  /* children not walked: too many interfaces pending */
  GOTAP_IFACE_F_RECIPE = 8,   /* copied by a recipe */
  GOTAP_IFACE_F_BASIC = 16,   /* copied as a plain value by its _type's size (no recipe) */
  GOTAP_IFACE_F_STR_CUT = 32, /* a string was shortened to the recipe's str_max */
  /* On the root node only: why the walk ended with values not walked (children whose nodes are
   * missing from the blob): GOTAP_IFACE_MAX_NODES nodes were written, or the byte budget ran
   * out. */
  GOTAP_IFACE_F_CUT_NODES = 64,
  GOTAP_IFACE_F_CUT_BYTES = 128
};

struct gotap_iface_recipe {
  __u16 copy_len;   /* bytes read from the data pointer (<= GOTAP_IFACE_MAX_COPY) */
  __u16 str_max;    /* at most this many bytes copied per string */
  __u8 nstrings;    /* <= GOTAP_IFACE_MAX_STRINGS */
  __u8 nchildren;   /* <= GOTAP_IFACE_MAX_CHILDREN */
  __u8 child_eface; /* bit i: child i's word 0 is a *_type (eface), else an itab */
  __u8 child_ptr;   /* bit i: child i is one pointer word, walked as {child_type[i], it} */
  __u16 str_off[GOTAP_IFACE_MAX_STRINGS];    /* string headers {ptr, len} in the copy */
  __u16 child_off[GOTAP_IFACE_MAX_CHILDREN]; /* interfaces {word0, data} in the copy */
  /* Link-time vaddrs of pointer variables (e.g. context.background); 0 = unused. A
   * node's `ident` is 1 + the index of the variable whose value equals the node's data word. */
  __u64 ident_vars[2];
  /* child_ptr children: the link-time vaddr of the type walked behind the pointer: a *T (the
   * node's data word is the pointer, as in an interface holding *T) or T itself (a struct or
   * plain value: the data word points to it, as in an interface holding a T). 0: not walked. */
  __u64 child_type[GOTAP_IFACE_MAX_CHILDREN];
};

struct gotap_iface_node {
  __u64 type; /* link-time vaddr of the dynamic type's _type; 0: nil interface or unreadable */
  __u64 data; /* the interface's data word */
  __u16 copied;
  __u8 nstrings;
  __u8 child_mask; /* bit i: recipe child i is not nil and its node follows (in bit order) */
  __u8 flags;      /* enum gotap_iface_node_flags */
  __u8 ident;      /* see gotap_iface_recipe.ident_vars */
  __u16 pad;
};

/* --ctx-from: the context a function matching the pattern received, lent to the calls below it
 * (LRU hash `ctx_loans`, keyed by goroutine). Only calls deeper than `depth` (the lender's
 * stack.hi - SP) see it, so a loan left behind by an abandoned frame is ignored. */
struct gotap_ctx_loan {
  __u64 word0; /* itab */
  __u64 data;
  __u64 depth;
};

/* A goroutine's loans, outermost first: lenders nest (a handler calling a middleware that is a
 * lender too), and a call sees the innermost lender above it. A lender nested deeper than
 * GOTAP_CTX_LOANS replaces the innermost loan. */
enum { GOTAP_CTX_LOANS = 4 };
struct gotap_ctx_loans {
  __u32 n;
  __u32 pad;
  struct gotap_ctx_loan loan[GOTAP_CTX_LOANS];
};

GOTAP_STATIC_ASSERT(sizeof(struct gotap_ctx_loan) == 24, "gotap_ctx_loan layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_ctx_loans) == 8 + 24 * GOTAP_CTX_LOANS,
                    "gotap_ctx_loans layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_iface_recipe) ==
                        8 + 2 * GOTAP_IFACE_MAX_STRINGS + 10 * GOTAP_IFACE_MAX_CHILDREN + 16,
                    "gotap_iface_recipe layout");
GOTAP_STATIC_ASSERT(sizeof(struct gotap_iface_node) == 24, "gotap_iface_node layout");

#endif /* GOTAP_BPF_IFACE_INTF_H_ */
