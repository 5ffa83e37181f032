// Debian's libseccomp (libseccomp-dev) for Swift. The library's action and argument macros are
// function-like, which Swift does not import, and `seccomp_rule_add` is variadic: these inline
// functions give Swift what it needs.
#ifndef WARDEN_CSECCOMP_SHIM_H
#define WARDEN_CSECCOMP_SHIM_H
#include <seccomp.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/filter.h>
#include <sys/socket.h>

static inline uint32_t warden_scmp_act_errno(uint16_t code) { return SCMP_ACT_ERRNO(code); }
static inline uint32_t warden_scmp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t warden_scmp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t warden_scmp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t warden_scmp_arch_native(void) { return SCMP_ARCH_NATIVE; }
static inline uint32_t warden_scmp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t warden_scmp_arch_x32(void) { return SCMP_ARCH_X32; }
static inline uint32_t warden_scmp_arch_x86_64(void) { return SCMP_ARCH_X86_64; }
static inline uint32_t warden_scmp_arch_aarch64(void) { return SCMP_ARCH_AARCH64; }
static inline uint32_t warden_scmp_arch_arm(void) { return SCMP_ARCH_ARM; }

// The user-notification side of seccomp (kernel 5.19+ for WAIT_KILLABLE_RECV): the ioctls and
// system calls glibc does not wrap. libseccomp 2.5's own notify helpers do not cover the load
// flags Warden needs, nor pidfd_getfd, so the supervisor uses these thin wrappers. Each returns
// what the kernel returns, -1 with errno on failure.

/// Loads `length` bytes of classic BPF (libseccomp's export) as a filter on the calling thread,
/// with a listener (returned) whose notified callers wait only killably once the supervisor has
/// received their notification: a signal cannot then make them retry a connect already made.
static inline int warden_seccomp_load_with_listener(const void *bpf, size_t length) {
    struct sock_fprog program = { .len = (unsigned short)(length / sizeof(struct sock_filter)), .filter = (struct sock_filter *)bpf };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                        SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &program);
}

/// One notification: the id, the calling thread (a pid in the receiver's pid namespace), the
/// system call number, its architecture and its first three arguments.
struct warden_notification {
    uint64_t id;
    uint32_t pid;
    int32_t nr;
    uint32_t arch;
    uint64_t args[6];
};

static inline int warden_notify_receive(int listener, struct warden_notification *out) {
    struct seccomp_notif notification;
    memset(&notification, 0, sizeof notification);
    int result = ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &notification);
    if (result < 0) return result;
    out->id = notification.id;
    out->pid = notification.pid;
    out->nr = notification.data.nr;
    out->arch = notification.data.arch;
    for (int i = 0; i < 6; i++) out->args[i] = notification.data.args[i];
    return 0;
}

/// Answers a notification: the call returns `value`, or fails with `error` (a positive errno).
static inline int warden_notify_respond(int listener, uint64_t id, int64_t value, int32_t error) {
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = id;
    response.val = value;
    response.error = error ? -error : 0;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

/// 0 while the notification's caller still waits (so a pid read before this is still its pid).
static inline int warden_notify_id_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

/// A pidfd of one thread (PIDFD_THREAD, Linux 6.9), whose descriptor table pidfd_getfd reads.
static inline int warden_pidfd_open_thread(int32_t tid) {
    return (int)syscall(SYS_pidfd_open, tid, 0200 /* PIDFD_THREAD = O_EXCL */);
}

static inline int warden_pidfd_open_process(int32_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int warden_pidfd_getfd(int pidfd, int fd) {
    return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/// Copies `length` bytes at `address` in thread `tid`'s memory into `buffer`.
static inline long warden_read_memory(int32_t tid, uint64_t address, void *buffer, size_t length) {
    struct iovec local = { .iov_base = buffer, .iov_len = length };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)address, .iov_len = length };
    return (long)syscall(SYS_process_vm_readv, tid, &local, 1UL, &remote, 1UL, 0UL);
}

static inline uint32_t warden_audit_arch_native(void) {
#if defined(__x86_64__)
    return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    return AUDIT_ARCH_AARCH64;
#else
    return 0;
#endif
}

/// Sends `fd` over the connected unix socket `channel` (SCM_RIGHTS, with one byte of data).
static inline int warden_send_descriptor(int channel, int fd) {
    char byte = 'L';
    struct iovec data = { .iov_base = &byte, .iov_len = 1 };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    ssize_t sent;
    do { sent = sendmsg(channel, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : -1;
}

/// Receives one descriptor sent by `warden_send_descriptor` (close-on-exec); -1 with errno, or
/// with errno 0 when the other end closed without sending one.
static inline int warden_receive_descriptor(int channel) {
    char byte = 0;
    struct iovec data = { .iov_base = &byte, .iov_len = 1 };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
    ssize_t received;
    do { received = recvmsg(channel, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received <= 0) { if (received == 0) errno = 0; return -1; }
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (header == NULL || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS
        || header->cmsg_len != CMSG_LEN(sizeof(int)) || (message.msg_flags & MSG_CTRUNC)) { errno = EPROTO; return -1; }
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return fd;
}
/// Sends `length` bytes of `buffer` with `count` descriptors (SCM_RIGHTS) in one message; returns
/// what sendmsg returns (a stream socket may take fewer bytes: the rest goes with write).
static inline ssize_t warden_send_with_descriptors(int channel, const void *buffer, size_t length, const int *descriptors, int count) {
    if (count < 1 || count > 8 || length == 0) { errno = EINVAL; return -1; }
    struct iovec data = { .iov_base = (void *)buffer, .iov_len = length };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int) * 8)]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = CMSG_SPACE(sizeof(int) * count) };
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(header), descriptors, sizeof(int) * count);
    ssize_t sent;
    do { sent = sendmsg(channel, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent;
}

/// Reads up to `length` bytes and the descriptors that came with them (close-on-exec), appended
/// at `descriptors[*count]` up to `capacity` (any more are closed). Returns what recvmsg returns;
/// -1 with EPROTO when descriptors were cut off.
static inline ssize_t warden_receive_with_descriptors(int channel, void *buffer, size_t length, int *descriptors, int capacity, int *count) {
    struct iovec data = { .iov_base = buffer, .iov_len = length };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int) * 8)]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
    ssize_t received;
    do { received = recvmsg(channel, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received < 0) return received;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
            if (*count < capacity) descriptors[(*count)++] = fd; else close(fd);
        }
    }
    if (message.msg_flags & MSG_CTRUNC) { errno = EPROTO; return -1; }
    return received;
}
#endif
