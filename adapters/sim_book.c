/*
 * The sim's matching core (rules in sim_book.h). Only sim.c calls it.
 */
#include "adapters/sim_book.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (err != FB_OK)                                                                          \
            goto out;                                                                              \
    } while (0)

#define NS_PER_DAY (86400LL * 1000000000LL)

/* Order slot x of b. */
#define ORD(b, x) fb_sim_book_order((b), (x))

/* Venue texts, Binance-like so that operators recognise them. */
#define TXT_DUPLICATE "Duplicate order sent."
#define TXT_UNKNOWN_SYMBOL "Invalid symbol."
#define TXT_UNKNOWN_ORDER "Unknown order sent."
#define TXT_CLOSED "Order is already closed."
#define TXT_PRICE_FILTER "Filter failure: PRICE_FILTER"
#define TXT_LOT_SIZE "Filter failure: LOT_SIZE"
#define TXT_MIN_NOTIONAL "Filter failure: MIN_NOTIONAL"
#define TXT_POST_ONLY "Order would immediately match and take."
#define TXT_WOULD_TRIGGER "Order would trigger immediately."
#define TXT_EXPIRE_PAST "Order expire time is in the past."
#define TXT_UNSUPPORTED "Unsupported order combination."
#define TXT_AMEND_MARKET "Market orders cannot be amended."
#define TXT_TRIGGERED "Stop order already triggered."
#define TXT_PRICE_NOT_REQUIRED "Parameter 'price' sent when not required."
#define TXT_STOP_NOT_REQUIRED "Parameter 'stopPrice' sent when not required."
#define TXT_TOO_MANY "Too many orders."

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool is_open(const struct fb_sim_order *o)
{
    return o->state == FB_VOS_NEW || o->state == FB_VOS_PARTIALLY_FILLED;
}

static bool is_buy(const struct fb_sim_order *o)
{
    return o->req.side == FB_VENUE_BUY;
}

/* Behaves as a market order now: MARKET, or a STOP / TAKE_PROFIT that has
 * triggered. */
static bool acts_as_market(const struct fb_sim_order *o)
{
    return o->req.type == FB_VENUE_MARKET || o->req.type == FB_VENUE_STOP ||
           o->req.type == FB_VENUE_TAKE_PROFIT;
}

static int64_t day_end(int64_t t)
{
    int64_t d = t / NS_PER_DAY;
    if (t < 0 && t % NS_PER_DAY != 0)
        d--;
    return (d + 1) * NS_PER_DAY;
}

/* ---- the id index: ids of held orders -> order slot ---- */

#define NO_POS UINT32_MAX

static uint64_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* 1 if id is, or was before a replace, order o's id. */
static bool order_has_id(const struct fb_sim_order *o, const char *id)
{
    if (strcmp(o->req.client_order_id, id) == 0)
        return true;
    for (const struct fb_sim_old_id *p = o->old_ids; p; p = p->next) {
        if (strcmp(p->id, id) == 0)
            return true;
    }
    return false;
}

/* The index (bridge/kindex.h) holds order index + 1 as its item, never
 * NULL; it keeps no copy of an id, the order holds it (current or old).
 * Growth is incremental: a book of 400k resting orders once stalled ~50 ms
 * doubling its table at once. */
static void *id_item(uint32_t order)
{
    return (void *)((uintptr_t)order + 1);
}

static uint32_t id_order(const void *item)
{
    return (uint32_t)((uintptr_t)item - 1);
}

static int id_has(const void *item, const char *id, void *book)
{
    return order_has_id(ORD((const struct fb_sim_book *)book, id_order(item)), id);
}

static long id_find(const struct fb_sim_book *b, const char *id)
{
    if (id[0] == '\0')
        return -1;
    /* has() only reads the book; the index's ctx is not const */
    void *item = fb_kidx_get(&b->ids, fb_kidx_hash(id), id, id_has, (void *)(uintptr_t)b);
    return item ? (long)id_order(item) : -1;
}

static enum fb_err id_insert(struct fb_sim_book *b, const char *id, uint32_t order)
{
    return fb_kidx_put(&b->ids, fb_kidx_hash(id), id, id_item(order), id_has, b);
}

/* The order must still hold id (order_has_id). */
static void id_remove(struct fb_sim_book *b, const char *id)
{
    long at = id_find(b, id);
    if (at >= 0)
        fb_kidx_del(&b->ids, fb_kidx_hash(id), id_item((uint32_t)at));
}

/* ---- dropped ids: 64-bit fingerprints, FIFO-bounded multiset ---- */

static uint64_t fingerprint(const char *id)
{
    uint64_t z = id_hash(id) + 0x9E3779B97F4A7C15ULL; /* splitmix64 finaliser */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 1; /* 0 marks an empty slot */
}

static bool gone_has(const struct fb_sim_book *b, const char *id)
{
    if (b->gone_set_cap == 0)
        return false;
    const uint64_t f = fingerprint(id);
    size_t mask = b->gone_set_cap - 1;
    for (size_t i = f & mask; b->gone_set[i]; i = (i + 1) & mask) {
        if (b->gone_set[i] == f)
            return true;
    }
    return false;
}

static void gone_set_put(uint64_t *tab, size_t cap, uint64_t f)
{
    size_t mask = cap - 1, i = f & mask;
    while (tab[i])
        i = (i + 1) & mask;
    tab[i] = f;
}

static void gone_set_remove(struct fb_sim_book *b, uint64_t f)
{
    size_t mask = b->gone_set_cap - 1, i = f & mask, j;
    while (b->gone_set[i] != f) {
        if (!b->gone_set[i])
            return;
        i = (i + 1) & mask;
    }
    for (j = i;;) {
        j = (j + 1) & mask;
        if (!b->gone_set[j])
            break;
        size_t k = b->gone_set[j] & mask;
        if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
            b->gone_set[i] = b->gone_set[j];
            i = j;
        }
    }
    b->gone_set[i] = 0;
}

/* Remembers a dropped id; beyond gone_keep the oldest is forgotten. */
static enum fb_err gone_add(struct fb_sim_book *b, const char *id)
{
    const uint64_t f = fingerprint(id);
    if (b->gone_keep == 0)
        return FB_OK;
    if (b->gone_n == b->gone_keep) {
        gone_set_remove(b, b->gone_ring[b->gone_head]);
        b->gone_ring[b->gone_head] = f;
        b->gone_head = (b->gone_head + 1) % b->gone_keep;
        gone_set_put(b->gone_set, b->gone_set_cap, f);
        return FB_OK;
    }
    /* Not yet full: the ring has not wrapped (gone_head is 0). */
    if (b->gone_n == b->gone_cap) {
        size_t cap = b->gone_cap ? b->gone_cap * 2 : 256;
        if (cap > b->gone_keep)
            cap = b->gone_keep;
        uint64_t *p = realloc(b->gone_ring, cap * sizeof *p);
        if (!p)
            return FB_ERR_NOMEM;
        b->gone_ring = p;
        b->gone_cap = cap;
    }
    if ((b->gone_n + 1) * 2 > b->gone_set_cap) {
        size_t cap = b->gone_set_cap ? b->gone_set_cap * 2 : 512;
        uint64_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return FB_ERR_NOMEM;
        for (size_t i = 0; i < b->gone_set_cap; i++) {
            if (b->gone_set[i])
                gone_set_put(tab, cap, b->gone_set[i]);
        }
        free(b->gone_set);
        b->gone_set = tab;
        b->gone_set_cap = cap;
    }
    b->gone_ring[b->gone_n++] = f;
    gone_set_put(b->gone_set, b->gone_set_cap, f);
    return FB_OK;
}

/* An id is used while its order is held or it is among the dropped ones. */
static bool id_used(const struct fb_sim_book *b, const char *id)
{
    return id_find(b, id) >= 0 || gone_has(b, id);
}

/* Grows *arr (of elem-sized items) to hold one more than n. */
static enum fb_err grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return FB_OK;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return FB_ERR_NOMEM;
    *arr = p;
    *cap = ncap;
    return FB_OK;
}

/* Room for slot n_orders: its chunk exists. */
static enum fb_err chunk_room(struct fb_sim_book *b)
{
    if (b->n_orders < b->n_chunks * FB_SIM_CHUNK)
        return FB_OK;
    if (grow((void **)&b->chunks, &b->cap_chunks, b->n_chunks, sizeof *b->chunks) != FB_OK)
        return FB_ERR_NOMEM;
    b->chunks[b->n_chunks] = malloc(FB_SIM_CHUNK * sizeof **b->chunks);
    if (!b->chunks[b->n_chunks])
        return FB_ERR_NOMEM;
    b->n_chunks++;
    return FB_OK;
}

/* ---- lists of order slots ---- */

enum { LIST_NONE, LIST_OPEN, LIST_CLOSED, LIST_FREE };

static void list_append(struct fb_sim_book *b, struct fb_sim_list *l, uint32_t x, uint8_t which)
{
    struct fb_sim_order *o = ORD(b, x);
    o->list = which;
    o->prev = l->tail;
    o->next = NO_POS;
    if (l->tail != NO_POS)
        ORD(b, l->tail)->next = x;
    else
        l->head = x;
    l->tail = x;
    l->n++;
}

static void list_unlink(struct fb_sim_book *b, struct fb_sim_list *l, uint32_t x)
{
    struct fb_sim_order *o = ORD(b, x);
    if (o->prev != NO_POS)
        ORD(b, o->prev)->next = o->next;
    else
        l->head = o->next;
    if (o->next != NO_POS)
        ORD(b, o->next)->prev = o->prev;
    else
        l->tail = o->prev;
    o->prev = o->next = NO_POS;
    o->list = LIST_NONE;
    l->n--;
}

/* ---- heaps of order slots ---- */

#define IDX_EXPIRY FB_SIM_IDX_N /* kind of b->expiry */

/* x comes before y in an index of this kind (ties: arrival order). */
static bool idx_before(const struct fb_sim_book *b, unsigned kind, uint32_t x, uint32_t y)
{
    const struct fb_sim_order *ox = ORD(b, x), *oy = ORD(b, y);
    int c;
    switch (kind) {
    case IDX_EXPIRY:
        c = (ox->expire_ns > oy->expire_ns) - (ox->expire_ns < oy->expire_ns);
        break;
    case FB_SIM_IDX_BUY_REST:
        c = fb_dec_cmp(oy->req.price, ox->req.price);
        break;
    case FB_SIM_IDX_SELL_REST:
        c = fb_dec_cmp(ox->req.price, oy->req.price);
        break;
    case FB_SIM_IDX_BUY_STOP:
        c = fb_dec_cmp(ox->req.stop_price, oy->req.stop_price);
        break;
    case FB_SIM_IDX_SELL_STOP:
    case FB_SIM_IDX_BUY_TP:
        c = fb_dec_cmp(oy->req.stop_price, ox->req.stop_price);
        break;
    case FB_SIM_IDX_SELL_TP:
        c = fb_dec_cmp(ox->req.stop_price, oy->req.stop_price);
        break;
    default:
        return false; /* TAKING is unordered */
    }
    return c < 0 || (c == 0 && ox->seq < oy->seq);
}

static uint32_t *pos_of(struct fb_sim_book *b, unsigned kind, uint32_t x)
{
    return kind == IDX_EXPIRY ? &ORD(b, x)->exp_pos : &ORD(b, x)->idx_pos;
}

static void heap_set(struct fb_sim_book *b, struct fb_sim_index *h, unsigned kind, size_t i,
                     uint32_t x)
{
    h->a[i] = x;
    *pos_of(b, kind, x) = (uint32_t)i;
}

static void sift_up(struct fb_sim_book *b, struct fb_sim_index *h, unsigned kind, size_t i)
{
    uint32_t x = h->a[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!idx_before(b, kind, x, h->a[up]))
            break;
        heap_set(b, h, kind, i, h->a[up]);
        i = up;
    }
    heap_set(b, h, kind, i, x);
}

static void sift_down(struct fb_sim_book *b, struct fb_sim_index *h, unsigned kind, size_t i)
{
    uint32_t x = h->a[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && idx_before(b, kind, h->a[c + 1], h->a[c]))
            c++;
        if (!idx_before(b, kind, h->a[c], x))
            break;
        heap_set(b, h, kind, i, h->a[c]);
        i = c;
    }
    heap_set(b, h, kind, i, x);
}

static enum fb_err heap_push(struct fb_sim_book *b, struct fb_sim_index *h, unsigned kind,
                             uint32_t x)
{
    enum fb_err err = grow((void **)&h->a, &h->cap, h->n, sizeof *h->a);
    if (err != FB_OK)
        return err;
    h->a[h->n++] = x;
    sift_up(b, h, kind, h->n - 1);
    return FB_OK;
}

static void heap_remove(struct fb_sim_book *b, struct fb_sim_index *h, unsigned kind, size_t i)
{
    const uint32_t x = h->a[i];
    const uint32_t last = h->a[--h->n];
    *pos_of(b, kind, x) = NO_POS;
    if (i == h->n)
        return;
    heap_set(b, h, kind, i, last);
    sift_up(b, h, kind, i);
    sift_down(b, h, kind, *pos_of(b, kind, last));
}

/* ---- per-market indexes of open orders ---- */

static unsigned want_index(const struct fb_sim_order *o)
{
    if (!is_open(o))
        return FB_SIM_IDX_NONE;
    if (!o->triggered && fb_venue_type_take_profit(o->req.type))
        return is_buy(o) ? FB_SIM_IDX_BUY_TP : FB_SIM_IDX_SELL_TP;
    if (!o->triggered)
        return is_buy(o) ? FB_SIM_IDX_BUY_STOP : FB_SIM_IDX_SELL_STOP;
    if (acts_as_market(o) || !o->resting)
        return FB_SIM_IDX_TAKING;
    return is_buy(o) ? FB_SIM_IDX_BUY_REST : FB_SIM_IDX_SELL_REST;
}

static void index_remove(struct fb_sim_book *b, uint32_t x)
{
    struct fb_sim_order *o = ORD(b, x);
    if (o->idx_kind == FB_SIM_IDX_NONE)
        return;
    heap_remove(b, &b->markets[o->market].idx[o->idx_kind], o->idx_kind, o->idx_pos);
    o->idx_kind = FB_SIM_IDX_NONE;
}

/* Drops a closed order for good: its slot is reused, its ids remembered. */
static enum fb_err drop(struct fb_sim_book *b, uint32_t x)
{
    enum fb_err err = FB_OK;
    struct fb_sim_order *o = ORD(b, x);
    list_unlink(b, &b->closed, x);
    id_remove(b, o->req.client_order_id);
    err = gone_add(b, o->req.client_order_id);
    while (o->old_ids) {
        struct fb_sim_old_id *n = o->old_ids;
        id_remove(b, n->id); /* while o still holds it */
        o->old_ids = n->next;
        if (err == FB_OK)
            err = gone_add(b, n->id);
        free(n);
    }
    o->req.client_order_id[0] = '\0';
    o->list = LIST_FREE;
    o->next = b->free_head;
    b->free_head = x;
    return err;
}

/*
 * Puts order x where its state says: the right index of its market, and
 * out of the open list and the expiry heap once closed (then into the
 * closed FIFO, dropping the oldest beyond closed_keep). Called after every
 * change to an order; cheap when nothing moved.
 */
static enum fb_err sync_order(struct fb_sim_book *b, uint32_t x)
{
    enum fb_err err = FB_OK;
    struct fb_sim_order *o = ORD(b, x);
    const unsigned want = want_index(o);
    if (o->idx_kind != want) {
        index_remove(b, x);
        if (want != FB_SIM_IDX_NONE) {
            TRY(heap_push(b, &b->markets[o->market].idx[want], want, x));
            o->idx_kind = (uint8_t)want;
        }
    }
    if (!is_open(o) && o->list == LIST_OPEN) {
        if (o->exp_pos != NO_POS)
            heap_remove(b, &b->expiry, IDX_EXPIRY, o->exp_pos);
        list_unlink(b, &b->open, x);
        list_append(b, &b->closed, x, LIST_CLOSED);
        while (b->closed_keep > 0 && b->closed.n > b->closed_keep)
            TRY(drop(b, b->closed.head));
    }
out:
    return err;
}

static int by_arrival(const void *pa, const void *pb)
{
    const uint64_t x = ((const struct fb_sim_act *)pa)->seq;
    const uint64_t y = ((const struct fb_sim_act *)pb)->seq;
    return (x > y) - (x < y);
}

static enum fb_err scratch_push(struct fb_sim_book *b, uint32_t x)
{
    enum fb_err err = grow((void **)&b->scratch, &b->cap_scratch, b->n_scratch, sizeof *b->scratch);
    if (err == FB_OK) {
        b->scratch[b->n_scratch].seq = ORD(b, x)->seq;
        b->scratch[b->n_scratch++].order = x;
    }
    return err;
}

/* ---- events ---- */

static void ev_init(struct fb_venue_event *ev, enum fb_venue_event_kind kind,
                    const struct fb_sim_order *o, int64_t t)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->ts_ns = t;
    if (o) {
        copy_str(ev->client_order_id, sizeof ev->client_order_id, o->req.client_order_id);
        copy_str(ev->venue_order_id, sizeof ev->venue_order_id, o->venue_order_id);
        copy_str(ev->symbol, sizeof ev->symbol, o->req.symbol);
    }
}

static enum fb_err emit_reject(struct fb_sim_book *b, struct fb_venue_event *ev,
                               enum fb_venue_reject_reason reason, const char *code,
                               const char *text)
{
    ev->u.rej.cls = FB_VREJ_FINAL;
    ev->u.rej.reason = reason;
    copy_str(ev->u.rej.code, sizeof ev->u.rej.code, code);
    copy_str(ev->u.rej.text, sizeof ev->u.rej.text, text);
    return b->emit(b->emit_user, ev);
}

static struct fb_dec leaves_of(const struct fb_sim_order *o)
{
    struct fb_dec l;
    if (!is_open(o) || fb_dec_sub(o->qty, o->cum_qty, &l) != FB_OK || fb_dec_sign(l) < 0)
        return fb_dec_zero();
    return l;
}

static enum fb_err close_with(struct fb_sim_book *b, struct fb_sim_order *o,
                              enum fb_venue_event_kind kind, int reason, int64_t t,
                              const char *request_id)
{
    struct fb_venue_event ev;
    ev_init(&ev, kind, o, t);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (kind == FB_VEV_EXPIRED) {
        ev.u.expired.reason = (enum fb_venue_expire_reason)reason;
        ev.u.expired.cum_qty = o->cum_qty;
        o->state = FB_VOS_EXPIRED;
    } else {
        ev.u.canceled.reason = (enum fb_venue_cancel_reason)reason;
        ev.u.canceled.cum_qty = o->cum_qty;
        o->state = FB_VOS_CANCELED;
    }
    return b->emit(b->emit_user, &ev);
}

/* ---- filters ---- */

/*
 * Venue filters on terms (zero price/stop = none): the first failure's text
 * in *fail, or NULL. notional_px prices qty for MIN_NOTIONAL; check_size
 * false skips min/max qty and notional (a replace down to the filled qty).
 */
static enum fb_err check_filters(const struct fb_venue_market *r, struct fb_dec qty,
                                 struct fb_dec price, struct fb_dec stop, struct fb_dec display,
                                 struct fb_dec notional_px, bool check_size, const char **fail)
{
    enum fb_err err = FB_OK;
    struct fb_dec notional;
    *fail = NULL;
    if ((fb_dec_sign(price) > 0 && !fb_dec_is_multiple(price, r->tick_size)) ||
        (fb_dec_sign(stop) > 0 && !fb_dec_is_multiple(stop, r->tick_size))) {
        *fail = TXT_PRICE_FILTER;
        goto out;
    }
    if (fb_dec_sign(qty) <= 0 || !fb_dec_is_multiple(qty, r->step_size) ||
        (fb_dec_sign(display) > 0 && !fb_dec_is_multiple(display, r->step_size))) {
        *fail = TXT_LOT_SIZE;
        goto out;
    }
    if (!check_size)
        goto out;
    if (fb_dec_cmp(qty, r->min_qty) < 0 ||
        (fb_dec_sign(r->max_qty) > 0 && fb_dec_cmp(qty, r->max_qty) > 0)) {
        *fail = TXT_LOT_SIZE;
        goto out;
    }
    TRY(fb_dec_mul(qty, notional_px, FB_ROUND_HALF_EVEN, &notional));
    if (fb_dec_cmp(notional, r->min_notional) < 0)
        *fail = TXT_MIN_NOTIONAL;
out:
    return err;
}

static bool crosses(const struct fb_sim_book_market *mk, enum fb_venue_side side,
                    struct fb_dec price)
{
    if (side == FB_VENUE_BUY)
        return fb_dec_cmp(mk->ask, price) <= 0;
    return fb_dec_cmp(mk->bid, price) >= 0;
}

/* Whether the reference price has reached an order's trigger: a stop's on
 * an adverse move (a buy when the price rises to it, a sell when it falls
 * to it), a take-profit's on a favourable one (a buy when it falls to it,
 * a sell when it rises to it), as Binance and Kraken trigger them. */
static bool stop_reached(const struct fb_sim_book_market *mk, const struct fb_venue_order *req,
                         struct fb_dec stop)
{
    const bool up = (req->side == FB_VENUE_BUY) != fb_venue_type_take_profit(req->type);
    if (up)
        return fb_dec_cmp(mk->ref, stop) >= 0;
    return fb_dec_cmp(mk->ref, stop) <= 0;
}

/* ---- matching ---- */

static enum fb_err set_part(const struct fb_sim_book *b, struct fb_sim_order *o)
{
    enum fb_err err = FB_OK;
    struct fb_dec q;
    const struct fb_venue_market *r = &b->markets[o->market].rules;
    if (b->fill_mode == FB_SIM_FILL_FULL) {
        o->part = o->qty;
        goto out;
    }
    TRY(fb_dec_div(o->qty, fb_dec_from_int(b->parts), FB_DEC_PLACES, FB_ROUND_DOWN, &q));
    TRY(fb_dec_round_to(q, r->step_size, FB_ROUND_DOWN, &o->part));
    if (fb_dec_is_zero(o->part))
        o->part = r->step_size;
out:
    return err;
}

static enum fb_err fill(struct fb_sim_book *b, struct fb_sim_order *o, struct fb_dec qty,
                        struct fb_dec px, enum fb_venue_liquidity liq, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_dec value;
    const struct fb_dec rate = liq == FB_VLIQ_MAKER ? b->maker_rate : b->taker_rate;

    ev_init(&ev, FB_VEV_FILL, o, t);
    TRY(fb_dec_mul(qty, px, FB_ROUND_HALF_EVEN, &value));
    TRY(fb_dec_mul(value, rate, FB_ROUND_HALF_EVEN, &ev.u.fill.fee));
    TRY(fb_dec_add(o->cum_qty, qty, &o->cum_qty));
    TRY(fb_dec_add(o->notional, value, &o->notional));
    o->parts_done++;
    o->state = fb_dec_cmp(o->cum_qty, o->qty) >= 0 ? FB_VOS_FILLED : FB_VOS_PARTIALLY_FILLED;

    snprintf(ev.u.fill.trade_id, sizeof ev.u.fill.trade_id, "%" PRIu64, ++b->next_trade_id);
    ev.u.fill.qty = qty;
    ev.u.fill.price = px;
    copy_str(ev.u.fill.fee_currency, sizeof ev.u.fill.fee_currency,
             b->markets[o->market].rules.quote);
    ev.u.fill.liquidity = liq;
    ev.u.fill.cum_qty = o->cum_qty;
    ev.u.fill.leaves_qty = leaves_of(o);
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

/*
 * One matching step for an active order (not an untriggered stop). first:
 * the order has just arrived or triggered, so IOC/FOK decide now.
 */
static enum fb_err step(struct fb_sim_book *b, struct fb_sim_order *o, int64_t t, bool first)
{
    enum fb_err err = FB_OK;
    const struct fb_sim_book_market *mk = &b->markets[o->market];
    const struct fb_dec touch = is_buy(o) ? mk->ask : mk->bid;
    bool cross = acts_as_market(o) || crosses(mk, o->req.side, o->req.price);
    struct fb_dec leaves = leaves_of(o), amount;

    o->acted_ns = t;
    o->step_pass = b->markets[o->market].passes;
    if (first && o->req.tif == FB_VENUE_FOK) {
        /* Liquidity at the touch is unlimited: FOK fills whole or not at all. */
        if (cross)
            err = fill(b, o, leaves, touch, FB_VLIQ_TAKER, t);
        else
            err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_FOK_UNFILLED, t, NULL);
        goto out;
    }
    if (cross) {
        amount = leaves;
        if (o->parts_done + 1 < b->parts || b->fill_mode == FB_SIM_FILL_FULL)
            amount = fb_dec_min(o->part, leaves);
        if (o->resting)
            TRY(fill(b, o, amount, o->req.price, FB_VLIQ_MAKER, t));
        else
            TRY(fill(b, o, amount, touch, FB_VLIQ_TAKER, t));
    } else {
        o->resting = true;
    }
    if (first && o->req.tif == FB_VENUE_IOC && is_open(o))
        err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_IOC_REMAINDER, t, NULL);
out:
    return err;
}

/* ---- public ---- */

enum fb_err fb_sim_book_init(struct fb_sim_book *b, const struct fb_sim_params *p,
                             enum fb_err (*emit)(void *user, const struct fb_venue_event *ev),
                             void *user)
{
    enum fb_err err = FB_OK;
    memset(b, 0, sizeof *b);
    b->n_markets = p->n_markets;
    b->maker_rate = p->maker_fee_rate;
    b->taker_rate = p->taker_fee_rate;
    b->fill_mode = p->fill_mode;
    b->parts = p->fill_mode == FB_SIM_FILL_PARTIAL ? p->partial_fill_parts : 1;
    b->emit = emit;
    b->emit_user = user;
    b->free_head = NO_POS;
    b->open.head = b->open.tail = NO_POS;
    b->closed.head = b->closed.tail = NO_POS;
    for (size_t i = 0; i < p->n_markets; i++) {
        const struct fb_sim_market_params *mp = &p->markets[i];
        struct fb_venue_market *r = &b->markets[i].rules;
        copy_str(r->symbol, sizeof r->symbol, mp->symbol);
        copy_str(r->base, sizeof r->base, mp->base);
        copy_str(r->quote, sizeof r->quote, mp->quote);
        r->tick_size = mp->tick_size;
        r->step_size = mp->step_size;
        r->min_qty = mp->min_qty;
        r->max_qty = mp->max_qty;
        r->min_notional = mp->min_notional;
        TRY(fb_sim_book_set_touch(b, i, mp->reference_price, mp->spread_bps));
    }
out:
    return err;
}

void fb_sim_book_free(struct fb_sim_book *b)
{
    for (size_t i = 0; i < b->n_orders; i++) {
        while (ORD(b, i)->old_ids) {
            struct fb_sim_old_id *n = ORD(b, i)->old_ids;
            ORD(b, i)->old_ids = n->next;
            free(n);
        }
    }
    for (size_t c = 0; c < b->n_chunks; c++)
        free(b->chunks[c]);
    for (size_t m = 0; m < b->n_markets; m++) {
        for (size_t k = 0; k < FB_SIM_IDX_N; k++) {
            free(b->markets[m].idx[k].a);
            b->markets[m].idx[k] = (struct fb_sim_index){NULL, 0, 0};
        }
    }
    free(b->chunks);
    free(b->expiry.a);
    fb_kidx_free(&b->ids);
    free(b->gone_ring);
    free(b->gone_set);
    free(b->scratch);
    b->chunks = NULL;
    b->n_chunks = b->cap_chunks = 0;
    b->expiry = (struct fb_sim_index){NULL, 0, 0};
    b->gone_ring = b->gone_set = NULL;
    b->scratch = NULL;
    b->n_orders = b->gone_n = b->gone_head = b->n_scratch = 0;
    b->gone_cap = b->gone_set_cap = b->cap_scratch = 0;
    b->free_head = NO_POS;
    b->open = b->closed = (struct fb_sim_list){NO_POS, NO_POS, 0};
}

void fb_sim_book_set_retention(struct fb_sim_book *b, size_t closed_keep, size_t ids_keep)
{
    b->closed_keep = closed_keep > 0 ? closed_keep : 1;
    b->gone_keep = ids_keep;
}

int fb_sim_book_market_index(const struct fb_sim_book *b, const char *symbol)
{
    for (size_t i = 0; i < b->n_markets; i++) {
        if (strcmp(b->markets[i].rules.symbol, symbol) == 0)
            return (int)i;
    }
    return -1;
}

enum fb_err fb_sim_order_check(const struct fb_venue_order *o)
{
    const bool has_qty = fb_dec_sign(o->qty) > 0;
    const bool has_quote = fb_dec_sign(o->quote_qty) > 0;
    const bool has_price = fb_dec_sign(o->price) > 0;
    const bool has_stop = fb_dec_sign(o->stop_price) > 0;

    if (!memchr(o->client_order_id, '\0', sizeof o->client_order_id) ||
        !fb_venue_clordid_valid(o->client_order_id))
        return FB_ERR_INVALID;
    if (!memchr(o->symbol, '\0', sizeof o->symbol) || o->symbol[0] == '\0')
        return FB_ERR_INVALID;
    if ((unsigned)o->side > FB_VENUE_SELL || (unsigned)o->type > FB_VENUE_TAKE_PROFIT_LIMIT ||
        (unsigned)o->tif > FB_VENUE_GTD)
        return FB_ERR_INVALID;
    if (fb_dec_sign(o->qty) < 0 || fb_dec_sign(o->quote_qty) < 0 || fb_dec_sign(o->price) < 0 ||
        fb_dec_sign(o->stop_price) < 0 || fb_dec_sign(o->display_qty) < 0)
        return FB_ERR_INVALID;
    if (has_qty == has_quote) /* exactly one way to size an order */
        return FB_ERR_INVALID;
    if (has_quote && o->type != FB_VENUE_MARKET)
        return FB_ERR_INVALID;
    switch (o->type) {
    case FB_VENUE_MARKET:
        if (has_price || has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_LIMIT:
        if (!has_price || has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_STOP:
    case FB_VENUE_TAKE_PROFIT:
        if (has_price || !has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_STOP_LIMIT:
    case FB_VENUE_TAKE_PROFIT_LIMIT:
        if (!has_price || !has_stop)
            return FB_ERR_INVALID;
        break;
    }
    if (o->post_only && o->type != FB_VENUE_LIMIT)
        return FB_ERR_INVALID;
    if (fb_dec_sign(o->display_qty) > 0 &&
        (!fb_venue_type_limited(o->type) ||
         fb_dec_cmp(o->display_qty, o->qty) >= 0))
        return FB_ERR_INVALID;
    if (o->tif == FB_VENUE_GTD && o->expire_ns <= 0)
        return FB_ERR_INVALID;
    return FB_OK;
}

enum fb_err fb_sim_touch(struct fb_dec ref, struct fb_dec tick, uint32_t spread_bps,
                         struct fb_dec *bid, struct fb_dec *ask)
{
    enum fb_err err = FB_OK;
    struct fb_dec half, x;
    TRY(fb_dec_mul(ref, fb_dec_from_int(spread_bps), FB_ROUND_HALF_EVEN, &x));
    TRY(fb_dec_div(x, fb_dec_from_int(20000), FB_DEC_PLACES, FB_ROUND_HALF_EVEN, &half));
    TRY(fb_dec_sub(ref, half, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_FLOOR, bid));
    TRY(fb_dec_add(ref, half, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_CEIL, ask));
    if (fb_dec_sign(*bid) <= 0)
        *bid = tick;
    if (fb_dec_cmp(*ask, *bid) < 0)
        *ask = *bid;
out:
    return err;
}

enum fb_err fb_sim_walk_step(struct fb_dec ref, struct fb_dec tick, uint32_t vol_bps, uint64_t rnd,
                             struct fb_dec *out)
{
    enum fb_err err = FB_OK;
    struct fb_dec x, delta;
    /* u = j / 10^6 with j uniform in [-10^6, 10^6]; the modulo bias is
     * below 10^-12 and, being deterministic, harmless. */
    const int64_t j = (int64_t)(rnd % 2000001u) - 1000000;

    *out = ref;
    if (vol_bps == 0)
        goto out;
    TRY(fb_dec_mul(ref, fb_dec_from_int((int64_t)vol_bps * j), FB_ROUND_HALF_EVEN, &x));
    TRY(fb_dec_div(x, fb_dec_from_int(10000000000LL), FB_DEC_PLACES, FB_ROUND_HALF_EVEN, &delta));
    TRY(fb_dec_add(ref, delta, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_HALF_EVEN, &x));
    *out = fb_dec_sign(x) > 0 ? x : tick;
out:
    return err;
}

enum fb_err fb_sim_book_set_touch(struct fb_sim_book *b, size_t m, struct fb_dec ref,
                                  uint32_t spread_bps)
{
    struct fb_sim_book_market *mk = &b->markets[m];
    enum fb_err err = fb_sim_touch(ref, mk->rules.tick_size, spread_bps, &mk->bid, &mk->ask);
    if (err == FB_OK)
        mk->ref = ref;
    return err;
}

/* Whether order x of this kind's index acts in a pass at the market's
 * touch; false for x means false for everything below it in the heap. */
static bool reached(const struct fb_sim_book *b, unsigned kind, uint32_t x)
{
    const struct fb_sim_order *o = ORD(b, x);
    const struct fb_sim_book_market *mk = &b->markets[o->market];
    switch (kind) {
    case FB_SIM_IDX_BUY_REST:
    case FB_SIM_IDX_SELL_REST:
        return crosses(mk, o->req.side, o->req.price);
    case FB_SIM_IDX_BUY_STOP:
    case FB_SIM_IDX_SELL_STOP:
    case FB_SIM_IDX_BUY_TP:
    case FB_SIM_IDX_SELL_TP:
        return stop_reached(mk, &o->req, o->req.stop_price);
    default:
        return true;
    }
}

/* Adds the orders of heap h at and below i that the touch reaches. */
static enum fb_err collect(struct fb_sim_book *b, const struct fb_sim_index *h, unsigned kind,
                           size_t i)
{
    enum fb_err err = FB_OK;
    if (i >= h->n || !reached(b, kind, h->a[i]))
        return FB_OK;
    TRY(scratch_push(b, h->a[i]));
    TRY(collect(b, h, kind, 2 * i + 1));
    TRY(collect(b, h, kind, 2 * i + 2));
out:
    return err;
}

/*
 * Same outcome as stepping every open order of the market in arrival order
 * (the rule in sim_book.h), visiting only those it changes: a resting limit
 * the touch does not reach and a stop not reached would do nothing but
 * note the pass (acted_ns), which the market's pass count stands for.
 */
enum fb_err fb_sim_book_match(struct fb_sim_book *b, size_t m, int64_t t, bool force)
{
    enum fb_err err = FB_OK;
    struct fb_sim_book_market *mk = &b->markets[m];
    /* A triggered order last stepped before the previous pass was stepped
     * in it: that pass's time is its acted_ns. */
    const int64_t prev_ns = mk->pass_ns;
    const uint64_t prev_passes = mk->passes;

    b->n_scratch = 0;
    for (unsigned k = 0; k < FB_SIM_IDX_N; k++) {
        const struct fb_sim_index *h = &mk->idx[k];
        if (k == FB_SIM_IDX_TAKING) {
            for (size_t i = 0; i < h->n; i++)
                TRY(scratch_push(b, h->a[i]));
        } else {
            TRY(collect(b, h, k, 0));
        }
    }
    if (b->n_scratch > 1)
        qsort(b->scratch, b->n_scratch, sizeof *b->scratch, by_arrival);
    mk->pass_ns = t;
    mk->passes++;
    for (size_t i = 0; i < b->n_scratch; i++) {
        const uint32_t x = b->scratch[i].order;
        struct fb_sim_order *o = ORD(b, x);
        const int64_t acted = o->triggered && o->step_pass < prev_passes ? prev_ns : o->acted_ns;
        if (!is_open(o) || (!force && acted == t))
            continue;
        if (!force && o->triggered && b->min_gap_ns > 0 && acted != INT64_MIN &&
            t - acted < b->min_gap_ns)
            continue; /* it acted less than a tick ago: its next part waits */
        if (!o->triggered) {
            if (!stop_reached(mk, &o->req, o->req.stop_price))
                continue;
            o->triggered = true;
            err = step(b, o, t, true);
        } else {
            err = step(b, o, t, false);
        }
        if (err == FB_OK)
            err = sync_order(b, x);
        else
            (void)sync_order(b, x);
        if (err != FB_OK)
            goto out;
    }
out:
    return err;
}

enum fb_err fb_sim_book_submit(struct fb_sim_book *b, const struct fb_venue_order *in, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order o;
    struct fb_sim_order *po;
    const struct fb_sim_book_market *mk;
    struct fb_dec touch, qty, notional_px, q;
    const char *fail = NULL;
    bool placed = false;
    uint32_t x = NO_POS;
    int m;

    memset(&o, 0, sizeof o);
    o.req = *in;
    ev_init(&ev, FB_VEV_REJECT, &o, t);
    if (id_used(b, in->client_order_id)) {
        err = emit_reject(b, &ev, FB_VRR_DUPLICATE_ID, "-2010", TXT_DUPLICATE);
        goto out;
    }
    m = fb_sim_book_market_index(b, in->symbol);
    if (m < 0) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_SYMBOL, "-1121", TXT_UNKNOWN_SYMBOL);
        goto out;
    }
    if (b->open.n + b->closed.n >= FB_SIM_ORDERS_MAX) {
        err = emit_reject(b, &ev, FB_VRR_RATE_LIMIT, "-1015", TXT_TOO_MANY);
        goto out;
    }
    if ((in->post_only || fb_dec_sign(in->display_qty) > 0) &&
        (in->tif == FB_VENUE_IOC || in->tif == FB_VENUE_FOK)) {
        err = emit_reject(b, &ev, FB_VRR_UNSUPPORTED, "-1013", TXT_UNSUPPORTED);
        goto out;
    }
    mk = &b->markets[m];
    touch = in->side == FB_VENUE_BUY ? mk->ask : mk->bid;
    qty = in->qty;
    if (fb_dec_sign(in->quote_qty) > 0) {
        TRY(fb_dec_div(in->quote_qty, touch, FB_DEC_PLACES, FB_ROUND_DOWN, &q));
        TRY(fb_dec_round_to(q, mk->rules.step_size, FB_ROUND_DOWN, &qty));
    }
    switch (in->type) {
    case FB_VENUE_MARKET:
        notional_px = touch;
        break;
    case FB_VENUE_STOP:
    case FB_VENUE_TAKE_PROFIT:
        notional_px = in->stop_price;
        break;
    case FB_VENUE_LIMIT:
    case FB_VENUE_STOP_LIMIT:
    case FB_VENUE_TAKE_PROFIT_LIMIT:
    default:
        notional_px = in->price;
        break;
    }
    TRY(check_filters(&mk->rules, qty, in->price, in->stop_price, in->display_qty, notional_px,
                      true, &fail));
    if (!fail && fb_dec_sign(in->quote_qty) > 0 &&
        fb_dec_cmp(in->quote_qty, mk->rules.min_notional) < 0)
        fail = TXT_MIN_NOTIONAL;
    if (fail) {
        err = emit_reject(b, &ev, FB_VRR_FILTER, "-1013", fail);
        goto out;
    }
    if (in->tif == FB_VENUE_GTD && in->expire_ns <= t) {
        err = emit_reject(b, &ev, FB_VRR_EXPIRED, "-1013", TXT_EXPIRE_PAST);
        goto out;
    }
    if (in->post_only && crosses(mk, in->side, in->price)) {
        err = emit_reject(b, &ev, FB_VRR_POST_ONLY, "-2010", TXT_POST_ONLY);
        goto out;
    }
    if (fb_venue_type_triggered(in->type) && stop_reached(mk, in, in->stop_price)) {
        err = emit_reject(b, &ev, FB_VRR_WOULD_TRIGGER, "-2010", TXT_WOULD_TRIGGER);
        goto out;
    }

    /* Accepted. */
    o.market = (uint32_t)m; /* m < the book's market count */
    o.qty = qty;
    o.state = FB_VOS_NEW;
    o.acted_ns = INT64_MIN;
    o.triggered = in->type == FB_VENUE_MARKET || in->type == FB_VENUE_LIMIT;
    if (in->tif == FB_VENUE_GTD)
        o.expire_ns = in->expire_ns;
    else if (in->tif == FB_VENUE_DAY)
        o.expire_ns = day_end(t);
    TRY(set_part(b, &o));
    o.seq = ++b->next_seq;
    o.exp_pos = o.idx_pos = NO_POS;
    o.idx_kind = FB_SIM_IDX_NONE;
    o.prev = o.next = NO_POS;
    if (b->free_head != NO_POS) {
        x = b->free_head;
    } else {
        TRY(chunk_room(b));
        x = (uint32_t)b->n_orders;
    }
    if (o.expire_ns != 0)
        TRY(grow((void **)&b->expiry.a, &b->expiry.cap, b->expiry.n, sizeof *b->expiry.a));
    TRY(id_insert(b, in->client_order_id, x));
    /* Nothing below fails before the order is in place. */
    o.slot = x;
    snprintf(o.venue_order_id, sizeof o.venue_order_id, "%" PRIu64, ++b->next_order_id);
    if (x == b->free_head)
        b->free_head = ORD(b, x)->next;
    else
        b->n_orders++;
    *ORD(b, x) = o;
    list_append(b, &b->open, x, LIST_OPEN);
    if (o.expire_ns != 0)
        TRY(heap_push(b, &b->expiry, IDX_EXPIRY, x));
    placed = true;
    po = ORD(b, x);

    ev_init(&ev, FB_VEV_ACK, po, t);
    TRY(b->emit(b->emit_user, &ev));
    if (po->triggered)
        TRY(step(b, po, t, true));
out:
    if (placed) {
        enum fb_err e = sync_order(b, x);
        if (err == FB_OK)
            err = e;
    }
    return err;
}

/* The order whose *current* id is id, or NULL. */
static struct fb_sim_order *find_current(struct fb_sim_book *b, const char *id)
{
    long i = id_find(b, id);
    if (i < 0 || strcmp(ORD(b, i)->req.client_order_id, id) != 0)
        return NULL;
    return ORD(b, i);
}

enum fb_err fb_sim_book_cancel(struct fb_sim_book *b, const struct fb_venue_cancel *c, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order *o = find_current(b, c->client_order_id);

    ev_init(&ev, FB_VEV_CANCEL_REJECT, o, t);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, c->client_order_id);
    copy_str(ev.request_id, sizeof ev.request_id, c->request_id);
    if (!o) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_ORDER, "-2011", TXT_UNKNOWN_ORDER);
        goto out;
    }
    if (!is_open(o)) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2011", TXT_CLOSED);
        goto out;
    }
    err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_REQUESTED, t, c->request_id);
    if (err == FB_OK)
        err = sync_order(b, o->slot);
out:
    return err;
}

enum fb_err fb_sim_book_cancel_unsolicited(struct fb_sim_book *b, const char *client_order_id,
                                           int64_t t)
{
    enum fb_err err;
    struct fb_sim_order *o = find_current(b, client_order_id);
    if (!o || !is_open(o))
        return FB_ERR_NOT_FOUND;
    err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_UNSOLICITED, t, NULL);
    if (err == FB_OK)
        err = sync_order(b, o->slot);
    return err;
}

enum fb_err fb_sim_book_replace(struct fb_sim_book *b, const struct fb_venue_replace *r, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order *o = find_current(b, r->client_order_id);
    const struct fb_sim_book_market *mk;
    struct fb_dec price, stop, notional_px;
    const char *fail = NULL;
    bool size_matters, repriced, placed = false;
    struct fb_sim_old_id *old_id = NULL;
    uint32_t idx = NO_POS;

    ev_init(&ev, FB_VEV_REPLACE_REJECT, o, t);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, r->client_order_id);
    copy_str(ev.request_id, sizeof ev.request_id, r->new_client_order_id);
    if (!o) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_ORDER, "-2011", TXT_UNKNOWN_ORDER);
        goto out;
    }
    if (!is_open(o)) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2011", TXT_CLOSED);
        goto out;
    }
    if (id_used(b, r->new_client_order_id)) {
        err = emit_reject(b, &ev, FB_VRR_DUPLICATE_ID, "-2010", TXT_DUPLICATE);
        goto out;
    }
    if (o->req.type == FB_VENUE_MARKET || (acts_as_market(o) && o->triggered)) {
        err = emit_reject(b, &ev, FB_VRR_UNSUPPORTED, "-2010", TXT_AMEND_MARKET);
        goto out;
    }
    if (fb_dec_sign(r->price) > 0 && !fb_venue_type_limited(o->req.type)) {
        err = emit_reject(b, &ev, FB_VRR_OTHER, "-1106", TXT_PRICE_NOT_REQUIRED);
        goto out;
    }
    if (fb_dec_sign(r->stop_price) > 0 && o->req.type == FB_VENUE_LIMIT) {
        err = emit_reject(b, &ev, FB_VRR_OTHER, "-1106", TXT_STOP_NOT_REQUIRED);
        goto out;
    }
    if (fb_dec_sign(r->stop_price) > 0 && o->triggered) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2010", TXT_TRIGGERED);
        goto out;
    }
    mk = &b->markets[o->market];
    price = fb_dec_sign(r->price) > 0 ? r->price : o->req.price;
    stop = fb_dec_sign(r->stop_price) > 0 ? r->stop_price : o->req.stop_price;
    notional_px = fb_venue_type_limited(o->req.type) ? price : stop;
    size_matters = fb_dec_cmp(r->qty, o->cum_qty) > 0;
    TRY(check_filters(&mk->rules, r->qty, price, stop, o->req.display_qty, notional_px,
                      size_matters, &fail));
    if (fail) {
        err = emit_reject(b, &ev, FB_VRR_FILTER, "-1013", fail);
        goto out;
    }
    /* Only a new price can make a post-only order take: at its old price it
     * is already resting and fills as maker. */
    if (o->req.post_only && size_matters && fb_dec_cmp(price, o->req.price) != 0 &&
        crosses(mk, o->req.side, price)) {
        err = emit_reject(b, &ev, FB_VRR_POST_ONLY, "-2010", TXT_POST_ONLY);
        goto out;
    }
    if (!o->triggered && stop_reached(mk, &o->req, stop)) {
        err = emit_reject(b, &ev, FB_VRR_WOULD_TRIGGER, "-2010", TXT_WOULD_TRIGGER);
        goto out;
    }

    /* Accepted: the REPLACED event still names the old id; later ones the new. */
    idx = o->slot;
    repriced = fb_dec_cmp(price, o->req.price) != 0;
    old_id = malloc(sizeof *old_id);
    if (!old_id) {
        err = FB_ERR_NOMEM;
        goto out;
    }
    TRY(id_insert(b, r->new_client_order_id, idx));
    copy_str(old_id->id, sizeof old_id->id, o->req.client_order_id);
    old_id->next = o->old_ids;
    o->old_ids = old_id;
    old_id = NULL;
    index_remove(b, idx); /* its keys (price, stop) change: sync_order re-files it */
    placed = true;
    o->req.price = price;
    o->req.stop_price = stop;
    o->req.qty = r->qty;
    o->qty = r->qty;
    if (!size_matters)
        o->state = FB_VOS_FILLED; /* the remainder is canceled by the amend */
    TRY(set_part(b, o));
    ev.kind = FB_VEV_REPLACED;
    memset(&ev.u, 0, sizeof ev.u);
    ev.u.replaced.qty = r->qty;
    ev.u.replaced.price = price;
    ev.u.replaced.stop_price = stop;
    ev.u.replaced.cum_qty = o->cum_qty;
    ev.u.replaced.leaves_qty = leaves_of(o);
    copy_str(o->req.client_order_id, sizeof o->req.client_order_id, r->new_client_order_id);
    TRY(b->emit(b->emit_user, &ev));
    /* A new price may cross: a re-priced limit takes like a new one would.
     * Same price: it keeps resting and its fills continue tick by tick. */
    if (is_open(o) && o->triggered && repriced) {
        o->resting = false;
        TRY(step(b, o, t, false));
    }
out:
    free(old_id);
    if (placed) {
        enum fb_err e = sync_order(b, idx);
        if (err == FB_OK)
            err = e;
    }
    return err;
}

static enum fb_err emit_status(struct fb_sim_book *b, const struct fb_sim_order *o,
                               const char *queried, const char *request_id, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_STATUS, o, t);
    if (!o)
        copy_str(ev.client_order_id, sizeof ev.client_order_id, queried);
    copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (o) {
        ev.u.status.state = o->state;
        ev.u.status.qty = o->qty;
        ev.u.status.price = o->req.price;
        ev.u.status.cum_qty = o->cum_qty;
        ev.u.status.leaves_qty = leaves_of(o);
        if (fb_dec_sign(o->cum_qty) > 0)
            TRY(fb_dec_div(o->notional, o->cum_qty, FB_DEC_PLACES, FB_ROUND_HALF_EVEN,
                           &ev.u.status.avg_px));
    } else {
        ev.u.status.state = FB_VOS_UNKNOWN;
    }
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

enum fb_err fb_sim_book_query(struct fb_sim_book *b, const char *client_order_id, int64_t t)
{
    long i = id_find(b, client_order_id);
    return emit_status(b, i >= 0 ? ORD(b, i) : NULL, client_order_id, client_order_id, t);
}

enum fb_err fb_sim_book_open_orders(struct fb_sim_book *b, const char *symbol,
                                    const char *request_id, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    for (uint32_t x = b->open.head; x != NO_POS; x = ORD(b, x)->next) {
        const struct fb_sim_order *o = ORD(b, x);
        if (symbol && strcmp(o->req.symbol, symbol) != 0)
            continue;
        TRY(emit_status(b, o, NULL, request_id, t));
    }
    ev_init(&ev, FB_VEV_OPEN_ORDERS_END, NULL, t);
    copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (symbol)
        copy_str(ev.symbol, sizeof ev.symbol, symbol);
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

enum fb_err fb_sim_book_expire(struct fb_sim_book *b, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_sim_index *h = &b->expiry;
    b->n_scratch = 0;
    while (h->n > 0 && ORD(b, h->a[0])->expire_ns <= t) {
        TRY(scratch_push(b, h->a[0]));
        heap_remove(b, h, IDX_EXPIRY, 0);
    }
    /* Arrival order among those due, as a scan of the open orders would. */
    if (b->n_scratch > 1)
        qsort(b->scratch, b->n_scratch, sizeof *b->scratch, by_arrival);
    for (size_t i = 0; i < b->n_scratch; i++) {
        const uint32_t x = b->scratch[i].order;
        struct fb_sim_order *o = ORD(b, x);
        TRY(close_with(b, o, FB_VEV_EXPIRED, o->req.tif == FB_VENUE_DAY ? FB_VEXP_DAY : FB_VEXP_GTD,
                       t, NULL));
        TRY(sync_order(b, x));
    }
out:
    return err;
}

int64_t fb_sim_book_next_expiry(const struct fb_sim_book *b)
{
    return b->expiry.n > 0 ? ORD(b, b->expiry.a[0])->expire_ns : INT64_MAX;
}
