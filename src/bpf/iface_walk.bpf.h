/* Walking interface values at the probe (see iface_intf.h for the output format). Included by
 * gotap.bpf.c after struct scratch; uses its OPAQUE and kAreaMask.
 *
 * Why in BPF: a context's cancel state and error change right after the call, and what an error
 * or context points to may be freed once the call returns, so userspace reading the target's
 * memory later would see other bytes. Every read goes through bpf_probe_read_user; a bad
 * pointer marks the node GOTAP_IFACE_F_FAULT and never stops the program.
 */
#ifndef GOTAP_BPF_IFACE_WALK_BPF_H_
#define GOTAP_BPF_IFACE_WALK_BPF_H_

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GOTAP_IFACE_MAX_RECIPES);
  __type(key, __u64);
  __type(value, struct gotap_iface_recipe);
} iface_recipes SEC(".maps");

/* One walk in progress: the interfaces still to visit (a stack, so that the output is in
 * pre-order) and the output cursor. Per CPU; only used while scratch.busy is held. */
struct iface_walk {
  __u64 pend_word0[GOTAP_IFACE_PENDING];
  __u64 pend_data[GOTAP_IFACE_PENDING];
  __u8 pend_depth[GOTAP_IFACE_PENDING];
  __u8 pend_eface[GOTAP_IFACE_PENDING];
  __u32 sp;  /* entries [0, sp) of pend_* are pending */
  __u32 off; /* next output byte, relative to the capture area */
  __u32 end; /* the walk writes below this offset (<= GOTAP_AREA_MAX) */
  __u32 cut; /* the walk stopped for lack of room */
  /* Runtime minus link-time address of the binary's data. Recipes, node types and the ident
   * variables are link-time; itabs, _type pointers in interface words and variables are read
   * at runtime addresses. */
  __u64 bias;
  struct gotap_iface_node node;
  /* The node being written: its recipe (copied, so that the callbacks below see one map value
   * type), where its copy starts, how many bytes were copied, its depth. */
  struct gotap_iface_recipe cur;
  __u64 copy_at;
  __u64 copied;
  __u32 depth;
  __u32 nchildren;
  struct gotap_iface_recipe basic; /* the recipe of a plain value without one */
  __u64 type_head[3];              /* size, ptrdata, hash/tflag/align/kind of a _type */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct iface_walk);
} iface_walk_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct gotap_goroutine_key);
  __type(value, struct gotap_ctx_loans);
} ctx_loans SEC(".maps");

/* Loans at `depth` or deeper belong to calls that ended (or were abandoned by a panic) before a
 * call at `depth` could begin or end: dropped. */
static __always_inline void ctx_loans_pop(struct gotap_ctx_loans* l, __u64 depth) {
#pragma unroll
  for (int i = GOTAP_CTX_LOANS - 1; i >= 0; i--) {
    if ((__u32)i < l->n && l->loan[i].depth >= depth) l->n = i;
  }
}

/* The value of a GOTAP_SRC_SCOPE / GOTAP_SRC_SCOPE_END slot for the current hit. */
static __always_inline __u64 ctx_loan_read(struct scratch* s, const struct gotap_capture* c) {
  struct gotap_ctx_loans* l = bpf_map_lookup_elem(&ctx_loans, &s->key);
  if (!l) return 0;
  if (c->source == GOTAP_SRC_SCOPE_END) {
    ctx_loans_pop(l, s->depth);
    if (l->n == 0) bpf_map_delete_elem(&ctx_loans, &s->key);
    return 0;
  }
  /* The innermost loan made by a caller of this frame. */
#pragma unroll
  for (int i = GOTAP_CTX_LOANS - 1; i >= 0; i--) {
    if ((__u32)i < l->n && l->loan[i].depth < s->depth)
      return c->offset == 8 ? l->loan[i].data : l->loan[i].word0;
  }
  return 0;
}

/* Lends the interface {word0, data} captured at this entry to the calls below it. */
static __always_inline void ctx_loan_store(struct scratch* s, __u64 word0, __u64 data) {
  struct gotap_ctx_loans* l = bpf_map_lookup_elem(&ctx_loans, &s->key);
  if (!l) {
    __builtin_memset(&s->loans, 0, sizeof(s->loans));
    if (bpf_map_update_elem(&ctx_loans, &s->key, &s->loans, BPF_ANY)) return;
    l = bpf_map_lookup_elem(&ctx_loans, &s->key);
    if (!l) return;
  }
  ctx_loans_pop(l, s->depth);
  __u32 n = l->n;
  if (n >= GOTAP_CTX_LOANS) n = GOTAP_CTX_LOANS - 1;
  struct gotap_ctx_loan* loan = &l->loan[n & (GOTAP_CTX_LOANS - 1)];
  loan->word0 = word0;
  loan->data = data;
  loan->depth = s->depth;
  l->n = n + 1;
}

struct iface_ctx {
  struct iface_walk* w;
  __u8* out; /* capture area, followed by slack (see struct scratch) */
};

/* A plain value kind (bool .. complex128, string) that is not stored in the data word itself. */
static __always_inline int iface_basic_recipe(struct iface_walk* w, __u64 type) {
  if (bpf_probe_read_user(w->type_head, sizeof(w->type_head), (void*)type)) return -1;
  __u64 size = w->type_head[0];
  __u8 kind = (__u8)(w->type_head[2] >> 56);
  if (kind & (1 << 5)) return -1; /* direct: the data word is the value; nothing to copy */
  kind &= 0x1f;
  if (!((kind >= 1 && kind <= 16) || kind == 24) || size > GOTAP_IFACE_BASIC_MAX) return -1;
  w->basic.copy_len = size;
  w->basic.nstrings = kind == 24;
  w->basic.str_off[0] = 0;
  w->basic.nchildren = 0;
  w->basic.ident_vars[0] = 0;
  w->basic.ident_vars[1] = 0;
  return 0;
}

/* Appends string j of the recipe (its header is at copy_at + str_off[j] in out). */
static __always_inline void iface_string(struct iface_walk* w, __u8* out, __u64 copy_at,
                                         __u64 copied, const struct gotap_iface_recipe* r,
                                         __u32 j) {
  __u64 so = r->str_off[j & (GOTAP_IFACE_MAX_STRINGS - 1)];
  __u64 off = w->off;
  if (off + 2 > w->end) {
    w->cut = 1;
    return;
  }
  __u64 want = 0;
  if (so + 16 <= copied) {
    __u64 at = copy_at + so;
    OPAQUE(at);
    __u64 ptr = *(__u64*)(out + (at & kAreaMask));
    at += 8;
    OPAQUE(at);
    __s64 len = *(__s64*)(out + (at & kAreaMask));
    if (len > 0) want = len;
    if (want > r->str_max) {
      want = r->str_max;
      w->node.flags |= GOTAP_IFACE_F_STR_CUT;
    }
    if (want > w->end - off - 2) {
      want = w->end - off - 2;
      w->cut = 1;
    }
    __u64 data_at = off + 2;
    OPAQUE(data_at);
    OPAQUE(want);
    want &= kAreaMask;
    if (want > 0 && bpf_probe_read_user(out + (data_at & kAreaMask), want, (void*)ptr)) {
      want = 0;
      w->node.flags |= GOTAP_IFACE_F_FAULT;
    }
  }
  __u64 at = off;
  OPAQUE(at);
  *(__u16*)(out + (at & kAreaMask)) = want;
  w->off = off + 2 + want;
  w->node.nstrings += 1;
}

static long iface_string_cb(__u64 j, struct iface_ctx* ic) {
  struct iface_walk* w = ic->w;
  if (w->cut) return 1;
  iface_string(w, ic->out, w->copy_at, w->copied, &w->cur, j);
  return 0;
}

/* Pushes child nchildren - 1 - i of the node being written (see iface_node_cb). */
static long iface_child_cb(__u64 i, struct iface_ctx* ic) {
  struct iface_walk* w = ic->w;
  __u8* out = ic->out;
  const struct gotap_iface_recipe* r = &w->cur;
  __u32 j = (w->nchildren - 1 - (__u32)i) & (GOTAP_IFACE_MAX_CHILDREN - 1);
  __u64 co = r->child_off[j];
  __u32 is_ptr = (r->child_ptr >> j) & 1;
  if (co + (is_ptr ? 8 : 16) > w->copied) return 0;
  __u64 at = w->copy_at + co;
  OPAQUE(at);
  __u64 c0 = *(__u64*)(out + (at & kAreaMask));
  __u64 c1 = 0;
  __u8 eface = (r->child_eface >> j) & 1;
  if (is_ptr) {
    c1 = c0; /* a pointer field: walked as an interface holding it */
    c0 = c1 && r->child_type[j] ? r->child_type[j] + w->bias : 0;
    eface = 1;
  } else {
    at += 8;
    OPAQUE(at);
    c1 = *(__u64*)(out + (at & kAreaMask));
  }
  if (c0 == 0) return 0; /* nil: no node */
  __u32 top = w->sp;
  if (top >= GOTAP_IFACE_PENDING) return 1;
  w->pend_word0[top & (GOTAP_IFACE_PENDING - 1)] = c0;
  w->pend_data[top & (GOTAP_IFACE_PENDING - 1)] = c1;
  w->pend_depth[top & (GOTAP_IFACE_PENDING - 1)] = w->depth + 1;
  w->pend_eface[top & (GOTAP_IFACE_PENDING - 1)] = eface;
  w->sp = top + 1;
  w->node.child_mask |= 1 << j;
  return 0;
}

/* Visits the interface on top of the pending stack: writes its node, copy and strings, and
 * pushes its children. Returns 1 to end the walk. */
static long iface_node_cb(__u64 i, struct iface_ctx* ic) {
  struct iface_walk* w = ic->w;
  __u8* out = ic->out;
  __u32 sp = w->sp;
  if (sp == 0 || sp > GOTAP_IFACE_PENDING) return 1;
  sp -= 1;
  w->sp = sp;
  __u32 k = sp & (GOTAP_IFACE_PENDING - 1);
  __u64 word0 = w->pend_word0[k], data = w->pend_data[k];
  __u32 depth = w->pend_depth[k];
  struct gotap_iface_node* n = &w->node;
  __builtin_memset(n, 0, sizeof(*n));
  __u64 type = word0;
  if (word0 != 0 && !w->pend_eface[k] && bpf_probe_read_user(&type, 8, (void*)(word0 + 8))) {
    type = 0;
    n->flags |= GOTAP_IFACE_F_FAULT;
  }
  if (type != 0) type -= w->bias; /* link-time from here on */
  n->type = type;
  n->data = data;
  __u64 node_at = w->off;
  if (node_at + sizeof(*n) > w->end) {
    w->cut = 1;
    return 1;
  }
  w->off = node_at + sizeof(*n);
  const struct gotap_iface_recipe* r = 0;
  if (type != 0) {
    r = bpf_map_lookup_elem(&iface_recipes, &type);
    if (r) {
      n->flags |= GOTAP_IFACE_F_RECIPE;
    } else if (iface_basic_recipe(w, type + w->bias) == 0) {
      r = &w->basic;
      n->flags |= GOTAP_IFACE_F_BASIC;
    }
  }
  if (r) {
    __u64 copy_at = w->off;
    __u64 copy = r->copy_len;
    if (copy > GOTAP_IFACE_MAX_COPY) copy = GOTAP_IFACE_MAX_COPY;
    if (copy_at + copy > w->end) {
      w->cut = 1;
      copy = 0;
    }
    OPAQUE(copy);
    copy &= 2 * GOTAP_IFACE_MAX_COPY - 1;
    if (copy > 0) {
      __u64 at = copy_at;
      OPAQUE(at);
      if (bpf_probe_read_user(out + (at & kAreaMask), copy, (void*)data)) {
        n->flags |= GOTAP_IFACE_F_FAULT;
        copy = 0;
      }
    }
    n->copied = copy;
    w->off = copy_at + copy;
    if (copy == r->copy_len) {
      /* Strings and children in bpf_loop callbacks rather than unrolled loops: the verifier
       * checks each callback body once instead of once per unrolled copy (load time). */
      w->cur = *r;
      w->copy_at = copy_at;
      w->copied = copy;
      w->depth = depth;
      __u32 ns = r->nstrings;
      if (ns > GOTAP_IFACE_MAX_STRINGS) ns = GOTAP_IFACE_MAX_STRINGS;
      bpf_loop(ns, iface_string_cb, ic, 0);
      /* Children: pushed last first, so that they are visited (and written) in order. */
      __u32 nc = r->nchildren;
      if (nc > GOTAP_IFACE_MAX_CHILDREN) nc = GOTAP_IFACE_MAX_CHILDREN;
      if (nc > 0 && depth + 1 > GOTAP_IFACE_MAX_DEPTH) {
        n->flags |= GOTAP_IFACE_F_DEPTH;
        nc = 0;
      } else if (w->sp + nc > GOTAP_IFACE_PENDING) {
        n->flags |= GOTAP_IFACE_F_PENDING;
        nc = 0;
      }
      w->nchildren = nc;
      bpf_loop(nc, iface_child_cb, ic, 0);
    }
    for (__u32 j = 0; j < 2; j++) {
      __u64 var = r->ident_vars[j];
      __u64 value = 0;
      if (var == 0) continue;
      if (bpf_probe_read_user(&value, 8, (void*)(var + w->bias))) {
        n->flags |= GOTAP_IFACE_F_FAULT;
      } else if (value == data) {
        n->ident = j + 1;
      }
    }
  }
  __u64 at = node_at;
  OPAQUE(at);
  __builtin_memcpy(out + (at & kAreaMask), n, sizeof(*n));
  return w->cut ? 1 : 0;
}

/* Writes the u16 byte count and the nodes of the interface {word0, data} at `off` (room for the
 * count is checked by the caller) and returns the offset after them. */
static __always_inline __u64 iface_pack(struct scratch* s, __u8* out, __u64 off,
                                        const struct gotap_capture* c, __u64 word0, __u64 data) {
  __u32 zero = 0;
  struct iface_walk* w = bpf_map_lookup_elem(&iface_walk_map, &zero);
  __u64 start = off + 2;
  __u64 written = 0;
  __u8 eface = c->deref == GOTAP_DEREF_EFACE;
  if (c->deref == GOTAP_DEREF_TYPED) {
    /* The root's type is a link-time vaddr stored by userspace (iface_intf.h). */
    __u64 root_key = 1 + (__u64)c->len_slot;
    const struct gotap_iface_recipe* root = bpf_map_lookup_elem(&iface_recipes, &root_key);
    word0 = data && root && root->child_type[0] ? root->child_type[0] + s->bias : 0;
    eface = 1;
  }
  if (w) {
    w->sp = 1;
    w->pend_word0[0] = word0;
    w->pend_data[0] = data;
    w->pend_depth[0] = 0;
    w->pend_eface[0] = eface;
    w->off = start;
    w->end = GOTAP_AREA_MAX;
    __u64 budget = (__u64)c->max_len + s->walk_spare;
    if (start + budget < w->end) w->end = start + budget;
    w->cut = 0;
    w->bias = s->bias;
    /* Strings of plain values are copied as far as the defaults (key 0) say. */
    __u64 defaults_key = 0;
    const struct gotap_iface_recipe* d = bpf_map_lookup_elem(&iface_recipes, &defaults_key);
    w->basic.str_max = d ? d->str_max : 0;
    struct iface_ctx ic = {.w = w, .out = out};
    bpf_loop(GOTAP_IFACE_MAX_NODES, iface_node_cb, &ic, 0);
    written = w->off - start;
    s->walk_spare = w->end - w->off;
    if (w->cut || w->sp != 0) {
      s->cap_flags |= GOTAP_REC_TRUNCATED;
      /* Why, on the root node (iface_intf.h), when it was written. */
      if (written >= sizeof(struct gotap_iface_node)) {
        __u64 flags_at = start + __builtin_offsetof(struct gotap_iface_node, flags);
        OPAQUE(flags_at);
        out[flags_at & kAreaMask] |= w->cut ? GOTAP_IFACE_F_CUT_BYTES : GOTAP_IFACE_F_CUT_NODES;
      }
    }
  }
  __u64 at = off;
  OPAQUE(at);
  *(__u16*)(out + (at & kAreaMask)) = written;
  return start + written;
}

#endif /* GOTAP_BPF_IFACE_WALK_BPF_H_ */
