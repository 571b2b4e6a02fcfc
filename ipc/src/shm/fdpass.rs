//! Passing a segment's file descriptor over a Unix socket (`SCM_RIGHTS`),
//! for children that do not inherit it (spawn, forkserver).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};

use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

/// One marker byte travels with the descriptor (a message with no data is
/// not delivered on a stream socket).
const MARK: u8 = 0x51;

/// Sends `fd` over the Unix socket `sock`.
pub fn send_fd(sock: impl AsFd, fd: impl AsFd) -> io::Result<()> {
    let fds = [fd.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("control buffer too small"));
    }
    let data = [MARK];
    let n = sendmsg(
        sock,
        &[io::IoSlice::new(&data)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if n != 1 {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "fd not sent"));
    }
    Ok(())
}

/// Receives a descriptor sent by [`send_fd`] on `sock` (blocking). Extra
/// descriptors, if a peer sent several, are closed.
pub fn recv_fd(sock: impl AsFd) -> io::Result<OwnedFd> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut data = [0u8; 1];
    let msg = recvmsg(
        sock,
        &mut [io::IoSliceMut::new(&mut data)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut got = None;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = m {
            for fd in fds {
                // The first is ours; dropping the rest closes them.
                got.get_or_insert(fd);
            }
        }
    }
    match got {
        Some(fd) if msg.bytes == 1 && data[0] == MARK => Ok(fd),
        Some(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unexpected message with fd",
        )),
        None if msg.bytes == 0 => Err(io::ErrorKind::UnexpectedEof.into()),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no fd in message",
        )),
    }
}
