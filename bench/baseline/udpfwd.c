/*
 * udpfwd: the fair ceiling for one relay hop, used by `relay bench` as its baseline.
 *
 * A minimal single-threaded UDP forwarder: datagrams arriving on the listening socket go to TARGET through an
 * upstream socket connected to it; datagrams from TARGET go back to the most recent sender. Both directions
 * use recvmmsg/sendmmsg in batches of 64 and poll(2) for readiness, so it is about as cheap per datagram as a
 * user-space forwarder gets. It does what `relay server` does for one client in UDP mode, and nothing more
 * (no flows, no counters, no limits).
 *
 * Usage: udpfwd LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT
 * Prints "listening on PORT" (useful with port 0) and runs until SIGTERM/SIGINT.
 * Built by bench/baseline/build.sh with gcc -O2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 2048

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

struct batch {
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in addr[BATCH];
    char data[BATCH][SLOT];
};

static void batch_init(struct batch *b)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < BATCH; i++) {
        b->iov[i].iov_base = b->data[i];
        b->iov[i].iov_len = SLOT;
        b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
        b->msgs[i].msg_hdr.msg_name = &b->addr[i];
        b->msgs[i].msg_hdr.msg_namelen = sizeof b->addr[i];
    }
}

static int udp_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int size = 4 << 20;
    if (fd < 0) { perror("socket"); exit(1); }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

static void parse_addr(const char *host, const char *port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((unsigned short)atoi(port));
    if (inet_pton(AF_INET, host, &out->sin_addr) != 1) {
        fprintf(stderr, "udpfwd: '%s' is not an IPv4 address\n", host);
        exit(2);
    }
}

/* Receives one batch on `from` and sends it on `to` (to `dest`, or connected when dest is NULL). */
static void pump(int from, int to, struct batch *b, struct sockaddr_in *last_sender, const struct sockaddr_in *dest)
{
    for (int i = 0; i < BATCH; i++) {
        b->iov[i].iov_len = SLOT;
        b->msgs[i].msg_hdr.msg_namelen = sizeof b->addr[i];
    }
    int n = recvmmsg(from, b->msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        return;
    }
    for (int i = 0; i < n; i++) {
        b->iov[i].iov_len = b->msgs[i].msg_len;
        if (dest != NULL) {
            b->addr[i] = *dest;
        } else {
            b->msgs[i].msg_hdr.msg_name = NULL;
            b->msgs[i].msg_hdr.msg_namelen = 0;
        }
    }
    if (last_sender != NULL) {
        *last_sender = b->addr[n - 1];
    }
    int sent = 0;
    while (sent < n) {
        int r = sendmmsg(to, b->msgs + sent, (unsigned)(n - sent), 0);
        if (r <= 0) {
            break; /* ENOBUFS/ECONNREFUSED: drop the rest, as UDP would */
        }
        sent += r;
    }
    for (int i = 0; i < n; i++) {
        b->msgs[i].msg_hdr.msg_name = &b->addr[i];
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: udpfwd LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT\n");
        return 2;
    }
    struct sockaddr_in listen_addr, target, client;
    parse_addr(argv[1], argv[2], &listen_addr);
    parse_addr(argv[3], argv[4], &target);
    memset(&client, 0, sizeof client);

    int down = udp_socket(), up = udp_socket();
    if (bind(down, (struct sockaddr *)&listen_addr, sizeof listen_addr) != 0) { perror("bind"); return 3; }
    if (connect(up, (struct sockaddr *)&target, sizeof target) != 0) { perror("connect"); return 3; }
    socklen_t len = sizeof listen_addr;
    getsockname(down, (struct sockaddr *)&listen_addr, &len);
    printf("listening on %d\n", ntohs(listen_addr.sin_port));
    fflush(stdout);

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    static struct batch b;
    batch_init(&b);
    struct pollfd fds[2] = { { .fd = down, .events = POLLIN }, { .fd = up, .events = POLLIN } };
    while (!stop) {
        if (poll(fds, 2, 200) <= 0) {
            continue;
        }
        if (fds[0].revents & POLLIN) {
            pump(down, up, &b, &client, NULL);
        }
        if ((fds[1].revents & POLLIN) && client.sin_family == AF_INET) {
            pump(up, down, &b, NULL, &client);
        } else if (fds[1].revents & (POLLIN | POLLERR)) {
            char sink[SLOT];
            while (recv(up, sink, sizeof sink, MSG_DONTWAIT) >= 0 || errno == ECONNREFUSED) {
            }
        }
    }
    close(down);
    close(up);
    return 0;
}
