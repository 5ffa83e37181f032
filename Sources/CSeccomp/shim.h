// Debian's libseccomp (libseccomp-dev) for Swift. The library's action and argument macros are
// function-like, which Swift does not import, and `seccomp_rule_add` is variadic: these inline
// functions give Swift what it needs.
#ifndef WARDEN_CSECCOMP_SHIM_H
#define WARDEN_CSECCOMP_SHIM_H
#include <seccomp.h>
#include <errno.h>

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
#endif
