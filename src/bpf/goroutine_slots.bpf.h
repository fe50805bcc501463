/* Goroutine slots (struct gotap_gslot in gotap_intf.h): where a goroutine's shadow stack and the
 * arguments of its open frames live, and how a RET finds its goroutine without reading
 * runtime.g. Part of gotap.bpf.c, included once after its maps, scratch space and area_len();
 * find_stack and create_stack, which call the ones that emit records, stay there. */
#ifndef GOTAP_BPF_GOROUTINE_SLOTS_BPF_H_
#define GOTAP_BPF_GOROUTINE_SLOTS_BPF_H_

/* The slot the hit's g hashes to, and its owner tag. */
static __always_inline struct gotap_gslot* home_slot(__u64 g, __u32 tgid, __u64* tag) {
  *tag = gotap_gslot_tag(g, tgid);
  if (no_gslots) return 0;
  __u32 index = (__u32)(*tag >> 32) & gslot_mask;
  return bpf_map_lookup_elem(&gslots, &index);
}

/* Whether `slot` (the one g hashes to, with owner tag `tag`) holds the frames of g's goroutine
 * in process tgid. */
static __always_inline int holds(const struct gotap_gslot* slot, __u64 tag, __u64 g, __u32 tgid) {
  return slot->owner == tag && slot->g == g && slot->key.tgid == tgid;
}

/* A RET whose g is in a register: takes the goroutine from its slot, without reading runtime.g,
 * when the slot holds open frames of that g, SP lies within the stack bounds read at the last
 * entry (see struct gotap_gslot) and the depth they give is the innermost frame's: the RET that
 * closes it. Anything else (abandoned frames to pop, an unmatched RET) reads runtime.g. Returns
 * 0 when it took the goroutine from the slot. */
static __always_inline int remembered_goroutine(const struct gotap_site_spec* spec,
                                                struct scratch* s) {
  __u64 g = g_in_register(spec, s), sp = s->regs[kSpIndex];
  if (g == 0) return -1;
  __u64 tag = 0;
  struct gotap_gslot* slot = home_slot(g, s->key.tgid, &tag);
  if (!slot || !holds(slot, tag, g, s->key.tgid) || sp < slot->stack_lo || sp > slot->stack_hi)
    return -1;
  __u32 n = slot->stack.n;
  __u64 depth = slot->stack_hi - sp;
  if (n == 0 || n > GOTAP_STACK_DEPTH || slot->stack.frames[(n - 1) & kDepthMask].depth != depth)
    return -1;
  s->key.goid = slot->key.goid;
  s->g = g;
  s->stack_lo = 0;
  s->stack_hi = 0;
  s->depth = depth;
  return 0;
}

/* A goroutine's shadow stack: st in slot's stack, or (slot == 0) in `stacks`; st == 0: none. */
struct stack_ref {
  struct gotap_gslot* slot;
  struct gotap_shadow_stack* st;
  int exited; /* slot holds the frames of a goroutine that exited (see find_stack) */
};

/* Gives up the goroutine's shadow stack once its last frame is popped. */
static __always_inline void release_stack(const struct scratch* s, struct stack_ref ref) {
  if (!ref.st || ref.st->n != 0) return;
  if (ref.slot) {
    ref.slot->args_top = 0;
    __sync_fetch_and_and(&ref.slot->owner, 0); /* after the stores above, on every CPU */
  } else {
    bpf_map_delete_elem(&stacks, &s->key);
  }
}

/* Pops the top frame f (frames[n - 1]) of ref's stack, and its arguments from the slot. */
static __always_inline void pop_frame(struct stack_ref ref, const struct gotap_frame* f, __u32 n) {
  if (ref.slot && f->has_args == GOTAP_ARGS_IN_SLOT) {
    __u32 top = ref.slot->args_top;
    ref.slot->args_top = top >= f->args_len ? top - f->args_len : 0;
  }
  ref.st->n = n - 1;
}

/* Keeps the entry's arguments (s->args) for frame f at level `level`: on top of the slot's
 * arguments when they fit, else in frame_args. */
static __always_inline void keep_args(struct scratch* s, struct stack_ref ref,
                                      struct gotap_frame* f, __u32 level) {
  __u64 len = area_len(s->args.len);
  if (len == 0) return;
  struct gotap_gslot* g = ref.slot;
  if (g) {
    __u64 top = g->args_top;
    if (top + len <= GOTAP_SLOT_ARGS) {
      OPAQUE(top);
      top &= GOTAP_SLOT_ARGS - 1;
      bpf_probe_read_kernel(g->args + top, len, s->args.data);
      g->args_top = top + len;
      f->has_args = GOTAP_ARGS_IN_SLOT;
      f->args_len = len;
      return;
    }
  }
  struct gotap_args_key ak = {.goid = s->key.goid, .tgid = s->key.tgid, .level = level};
  if (bpf_map_update_elem(&frame_args, &ak, &s->args, BPF_ANY) == 0)
    f->has_args = GOTAP_ARGS_IN_MAP;
  else
    f->rec_flags |= GOTAP_REC_ARGS_MISSING;
}

/* Copies the arguments of frame f (level `level`, the top frame of slot g's stack when g) to
 * s->rec_data and returns their length; frame_args' copy is deleted. */
static __always_inline __u64 take_args(struct scratch* s, struct gotap_gslot* g,
                                       const struct gotap_frame* f, __u32 level, __u16* flags) {
  __u64 len = 0;
  if (f->has_args == GOTAP_ARGS_IN_SLOT && g) {
    len = area_len(f->args_len);
    __u64 top = g->args_top;
    if (top < len) {
      *flags |= GOTAP_REC_ARGS_MISSING;
      return 0;
    }
    __u64 at = top - len;
    OPAQUE(at);
    at &= GOTAP_SLOT_ARGS - 1;
    if (len) bpf_probe_read_kernel(s->rec_data, len, g->args + at);
  } else if (f->has_args == GOTAP_ARGS_IN_MAP) {
    struct gotap_args_key ak = {.goid = s->key.goid, .tgid = s->key.tgid, .level = level};
    struct gotap_args_value* av = bpf_map_lookup_elem(&frame_args, &ak);
    if (av) {
      len = area_len(av->len);
      bpf_probe_read_kernel(s->rec_data, len, av->data);
      bpf_map_delete_elem(&frame_args, &ak);
    } else {
      *flags |= GOTAP_REC_ARGS_MISSING;
    }
  }
  return len;
}

#endif /* GOTAP_BPF_GOROUTINE_SLOTS_BPF_H_ */
