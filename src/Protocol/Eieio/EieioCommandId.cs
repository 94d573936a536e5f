namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>The EIEIO command IDs this library knows (header bits 13–0; protocols.md §6.2).</summary>
public enum EieioCommandId : ushort
{
    /// <summary>Notification protocol: "database ready", optionally with its UTF-8 path; the bare header is the ack.</summary>
    Database = 1,

    /// <summary>Buffered input: fill the buffer area with padding. No body.</summary>
    EventPadding = 2,

    /// <summary>Buffered input: end of all buffers, stop. No body.</summary>
    EventStop = 3,

    /// <summary>Buffered input: stop asking for more buffers. No body.</summary>
    StopSendingRequests = 4,

    /// <summary>Buffered input: start asking for more buffers. No body.</summary>
    StartSendingRequests = 5,

    /// <summary>Buffered input: the board asks the host for more data (12 bytes in all).</summary>
    SpinnakerRequestBuffers = 6,

    /// <summary>Buffered input: host sends region, sequence number and an embedded EIEIO data packet.</summary>
    HostSendSequencedData = 7,

    /// <summary>Buffered output: the board announces up to 7 regions of data ready to read.</summary>
    SpinnakerRequestReadData = 8,

    /// <summary>Buffered output: the host reports how much it has read, per region (up to 7).</summary>
    HostDataRead = 9,

    /// <summary>Notification protocol: the run has stopped or paused. No body.</summary>
    StopPauseNotification = 10,

    /// <summary>Notification protocol: the run has started or resumed. No body.</summary>
    StartResumeNotification = 11,

    /// <summary>Buffered output: the board acknowledges a HOST_DATA_READ by sequence number.</summary>
    HostDataReadAck = 12,
}
