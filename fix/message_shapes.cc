// message_shapes.cc -- outbound messages re-used by shape (shim_internal.h).
//
// Reports to a session come in a few shapes: the same MsgType and the same
// tags in the same order (an order's PendingNew and New, the next order's
// after them). QuickFIX keeps each field's encoded text until the field
// changes, so filling a message of the same shape re-encodes only the
// values that differ, where building one anew constructs ~20 fields and
// their strings and encodes them all: that was most of a send's cost.
#include <memory>
#include <vector>

#include <quickfix/Message.h>

#include "fix/shim_internal.h"

namespace fbfix
{

namespace
{

constexpr size_t kMaxShapes = 8; // per thread; the least recently used goes
constexpr size_t kHeader = (size_t)-1;

struct Shape {
    size_t session = 0;
    std::string msg_type;
    std::vector<int> tags;   // the caller's non-empty fields, in order
    std::vector<size_t> pos; // each one's index in the body; kHeader for the header
    FIX::Message m;
    uint64_t used = 0;
};

thread_local std::vector<std::unique_ptr<Shape>> t_shapes;
thread_local std::vector<int> t_tags;
thread_local uint64_t t_clock;

void set_in(FIX::FieldMap &map, int tag, const char *value)
{
    for (FIX::FieldMap::iterator it = map.begin(); it != map.end(); ++it) {
        if (it->getTag() == tag) {
            if (it->getString() != value)
                it->setString(value);
            return;
        }
    }
    map.setField(FIX::FieldBase(tag, value));
}

// Builds s.m from scratch and notes where each field went; false when the
// shape cannot be re-used (a tag given twice).
bool build(Shape &s, const char *msg_type, const fb_fix_field *fields, size_t n)
{
    s.m = FIX::Message();
    s.m.getHeader().setField(35, msg_type);
    for (size_t k = 0; k < n; k++) {
        if (!fields[k].value || !*fields[k].value)
            continue; // FIX has no empty fields; an empty value means absent
        // A header tag the caller sets (PossResend 97 on a report sent
        // again after a restart) belongs in the header, or the OMS's
        // engine rejects the message for a tag out of order.
        if (FIX::Message::isHeaderField(fields[k].tag)) {
            s.m.getHeader().setField(FIX::FieldBase(fields[k].tag, fields[k].value));
            continue;
        }
        // overwrite=false keeps the caller's order and lets tags repeat
        // only where the caller means it.
        s.m.setField(FIX::FieldBase(fields[k].tag, fields[k].value), false);
    }
    s.pos.clear();
    for (int tag : s.tags) {
        if (FIX::Message::isHeaderField(tag)) {
            s.pos.push_back(kHeader);
            continue;
        }
        size_t i = 0, at = 0, seen = 0;
        for (FIX::FieldMap::iterator it = s.m.begin(); it != s.m.end(); ++it, ++i) {
            if (it->getTag() == tag) {
                at = i;
                seen++;
            }
        }
        if (seen != 1)
            return false;
        s.pos.push_back(at);
    }
    return true;
}

} // namespace

FIX::Message &shaped_message(size_t session, const char *msg_type, const fb_fix_field *fields,
                             size_t n)
{
    t_tags.clear();
    for (size_t k = 0; k < n; k++) {
        if (fields[k].value && *fields[k].value)
            t_tags.push_back(fields[k].tag);
    }
    t_clock++;
    for (std::unique_ptr<Shape> &p : t_shapes) {
        Shape &s = *p;
        if (s.session != session || s.tags != t_tags || s.msg_type != msg_type)
            continue;
        size_t j = 0;
        for (size_t k = 0; k < n; k++) {
            if (!fields[k].value || !*fields[k].value)
                continue;
            if (s.pos[j] == kHeader) {
                set_in(s.m.getHeader(), fields[k].tag, fields[k].value);
            } else {
                FIX::FieldBase &f = *(s.m.begin() + (long)s.pos[j]);
                if (f.getString() != fields[k].value)
                    f.setString(fields[k].value);
            }
            j++;
        }
        s.used = t_clock;
        return s.m;
    }
    // A new shape: in a free slot, or the least recently used one's.
    std::unique_ptr<Shape> *slot = nullptr;
    if (t_shapes.size() < kMaxShapes) {
        t_shapes.emplace_back(new Shape());
        slot = &t_shapes.back();
    } else {
        slot = &t_shapes[0];
        for (std::unique_ptr<Shape> &p : t_shapes) {
            if (p->used < (*slot)->used)
                slot = &p;
        }
    }
    Shape &s = **slot;
    s.session = session;
    s.msg_type = msg_type;
    s.tags = t_tags;
    s.used = t_clock;
    if (!build(s, msg_type, fields, n)) {
        s.tags.clear(); // never matched again (tags are never empty in use)
        s.session = (size_t)-1;
    }
    return s.m;
}

void forget_shaped_messages()
{
    t_shapes.clear();
}

} // namespace fbfix
