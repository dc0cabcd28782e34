#!/bin/sh
# Starts a command from an unpacked image's root filesystem as close to a pod's container as chroot gets, for the
# image check (ControllerImageIT) on machines where no container runtime works:
#   - mount, PID and UTS namespaces of its own: the command is PID 1 (it gets SIGTERM as in a pod), the host name
#     is the pod-like "mclease-controller";
#   - the root filesystem read-only (the Deployment's readOnlyRootFilesystem), a tmpfs on /tmp (its emptyDir),
#     a fresh /proc, a /dev with null, zero, full, random, urandom, tty and shm only;
#   - SA_DIR (token, ca.crt, namespace) read-only at /var/run/secrets/kubernetes.io/serviceaccount, where the
#     kubelet mounts the ServiceAccount's token;
#   - the image's user (no capabilities left, no_new_privs: allowPrivilegeEscalation false) and working directory.
# Not like a pod: the host's network (ports are the host's; no network namespace), no cgroup limits, no seccomp.
# Every mount is made in the private mount namespace and goes with it, however the command ends; when this
# script's process is killed, its child (PID 1) is killed and with it the namespace.
# The environment is passed through unchanged: start it with exactly the container's (env -i NAME=VALUE ...).
#
# usage (as root): run-rootfs.sh ROOTFS SA_DIR UID:GID WORKDIR -- COMMAND [ARG...]
# ROOTFS is changed (mount points, /etc/hosts, /etc/resolv.conf): give it a copy, as a runtime gives a container a
# layer of its own.
set -eu

if [ "${1:-}" != --in-namespace ]; then
  [ "$(id -u)" = 0 ] || { echo "run-rootfs.sh: must run as root (mount namespaces, chroot)" >&2; exit 1; }
  [ $# -ge 6 ] && [ "$5" = -- ] || { grep '^# usage' "$0" >&2; exit 2; }
  exec unshare --mount --propagation private --pid --uts --fork --kill-child -- /bin/sh "$0" --in-namespace "$@"
fi
shift
rootfs=$1 sa=$2 ids=$3 wd=$4
shift 5
r="$(cd "$rootfs" && pwd -P)"

# A path inside the image, resolved the way a runtime resolves a mount target: inside the root, through the image's
# own symbolic links (/var/run -> /run).
resolved() { chroot "$r" /usr/bin/realpath -m "$1"; }

hostname mclease-controller
mount --bind "$r" "$r" # a mount of its own, so that it can be made read-only below
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount -t tmpfs -o nosuid,noexec,mode=0755,size=1m dev "$r/dev"
for n in null zero full random urandom tty; do
  : >"$r/dev/$n"
  mount --bind "/dev/$n" "$r/dev/$n"
done
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
mkdir "$r/dev/shm"
mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=64m shm "$r/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$r/tmp"
secrets="$r$(resolved /var/run/secrets/kubernetes.io/serviceaccount)"
mkdir -p "$secrets"
mount --bind "$sa" "$secrets"
mount -o remount,bind,ro "$secrets"
# what the kubelet writes for a pod: its hosts file, and (dnsPolicy Default) the node's resolv.conf
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tmclease-controller\n' >"$r/etc/hosts"
cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || : >"$r/etc/resolv.conf"
mount -o remount,bind,ro "$r"

exec setpriv --no-new-privs unshare --root="$r" --wd="$wd" --setgid="${ids#*:}" --setuid="${ids%%:*}" -- "$@"
