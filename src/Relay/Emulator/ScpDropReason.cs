namespace FastSpinnRelay.Relay.Emulator;

/// <summary>Why the emulated board dropped an SCP request without a reply (a real board is silent too).</summary>
public enum ScpDropReason
{
    /// <summary>Longer than 282 bytes: SC&amp;MP drops such datagrams.</summary>
    TooLong = 0,

    /// <summary>Fault injection: <see cref="EmulatorOptions.DropOneInN"/> picked this request.</summary>
    FaultInjection,

    /// <summary>All 8 transient tags were taken by replies still owed (the board's 8-outstanding limit).</summary>
    TransientPoolExhausted,

    /// <summary>The request named a tag other than 0xFF for its reply, and that tag is not set.</summary>
    ReplyTagNotSet,

    /// <summary>The delayed-reply queue was full (only with <see cref="EmulatorOptions.ReplyDelay"/>).</summary>
    DelayQueueFull,

    /// <summary>The operating system refused to send the reply.</summary>
    SendFailed,
}
