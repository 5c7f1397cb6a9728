// store_rss.cc -- how a FIX message store's memory grows with the number of
// messages it holds: stores N ExecutionReport-sized messages the way a
// session does (set, next sender number, next target number) and prints
// VmRSS and the cost per message at every tenth of N.
//
//   store_rss flat|file|memory N DIR
//
// flat is fix/flat_store (store: file today), file QuickFIX's FileStore (what
// store: file was before), memory QuickFIX's MemoryStore (store: memory).
// Not a ctest: it is a measurement (README, "Performance").
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include <quickfix/FileStore.h>

#include "fix/flat_store.h"

namespace
{

long rss_kib()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        std::fclose(f);
    return kib;
}

double now_s()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: store_rss flat|file|memory N DIR\n");
        return 2;
    }
    long n = std::atol(argv[2]);
    FIX::SessionID id("FIX.4.4", "FIXBRIDGE", "OMS");
    std::unique_ptr<FIX::MessageStore> s;
    try {
        if (!std::strcmp(argv[1], "flat"))
            s.reset(new fbfix::FlatStore(argv[3], id));
        else if (!std::strcmp(argv[1], "file"))
            s.reset(new FIX::FileStore(argv[3], id));
        else if (!std::strcmp(argv[1], "memory"))
            s.reset(new FIX::MemoryStore());
        else
            return 2;
        // An ExecutionReport as the bridge sends it, about 260 bytes.
        std::string body = "8=FIX.4.4\x01" "9=230\x01" "35=8\x01" "34=0000000\x01"
                           "49=FIXBRIDGE\x01" "52=20250101-00:00:00.000\x01" "56=OMS\x01"
                           "6=62000\x01" "11=fbc6b0d7c4a1e2f3-000001\x01" "14=0.001\x01"
                           "17=E-000000001\x01" "31=62000\x01" "32=0.001\x01" "37=1\x01"
                           "38=0.001\x01" "39=2\x01" "40=1\x01" "44=62000\x01" "54=1\x01"
                           "55=BTC/USDT\x01" "60=20250101-00:00:00.000\x01" "150=F\x01"
                           "151=0\x01" "30=paper\x01" "10=000\x01";
        const size_t num = body.find("34=") + 3;
        long rss0 = rss_kib();
        double t0 = now_s();
        std::printf("store=%s start rss_kib=%ld\n", argv[1], rss0);
        for (long i = 1; i <= n; i++) {
            int seq = s->getNextSenderMsgSeqNum();
            std::snprintf(&body[num], 8, "%07ld", i % 10000000);
            body[num + 7] = '\x01';
            s->set(seq, body);
            s->incrNextSenderMsgSeqNum();
            s->incrNextTargetMsgSeqNum();
            if (i % (n / 10 ? n / 10 : 1) == 0)
                std::printf("store=%s messages=%ld rss_kib=%ld us_per_msg=%.2f\n", argv[1], i,
                            rss_kib(), (now_s() - t0) * 1e6 / (double)i);
        }
        std::fflush(stdout);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "store_rss: %s\n", e.what());
        return 1;
    }
    return 0;
}
