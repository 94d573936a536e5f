namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>SCP command codes (the u16 at UDP offset 10 of a request), docs/protocols.md §4.2.</summary>
public enum ScpCommand : ushort
{
    /// <summary>VER/SVER: software version; also the readiness probe after boot.</summary>
    Ver = 0,

    /// <summary>RUN: jump to an address.</summary>
    Run = 1,

    /// <summary>READ memory: arg1 address, arg2 length (≤ 256), arg3 <see cref="ScpAccessType"/>.</summary>
    Read = 2,

    /// <summary>WRITE memory: same args as READ, data follows the args.</summary>
    Write = 3,

    /// <summary>APLX: load and run an APLX image.</summary>
    Aplx = 4,

    /// <summary>FILL memory with a word.</summary>
    Fill = 5,

    /// <summary>COUNT cores in a state.</summary>
    Count = 15,

    /// <summary>REMAP a core out of service.</summary>
    Remap = 16,

    /// <summary>LINK_READ: read via a neighbour chip (or FPGA registers).</summary>
    LinkRead = 17,

    /// <summary>LINK_WRITE: write via a neighbour chip (or FPGA registers).</summary>
    LinkWrite = 18,

    /// <summary>AR: application reset.</summary>
    Ar = 19,

    /// <summary>NNP: send a nearest-neighbour packet.</summary>
    Nnp = 20,

    /// <summary>APP_COPY_RUN: copy an application from a neighbour chip and start it.</summary>
    AppCopyRun = 21,

    /// <summary>SIG: send a signal (start/stop/sync, state counting).</summary>
    Sig = 22,

    /// <summary>FFD: flood-fill data.</summary>
    Ffd = 23,

    /// <summary>AS: application start.</summary>
    As = 24,

    /// <summary>LED control.</summary>
    Led = 25,

    /// <summary>IPTAG: new/set/get/clear IP tags, transient-tag timeout (see <see cref="ScpIpTagArg1"/>).</summary>
    IpTag = 26,

    /// <summary>SROM: serial ROM access.</summary>
    Srom = 27,

    /// <summary>ALLOC: SDRAM / router-entry allocate and free.</summary>
    Alloc = 28,

    /// <summary>RTR: router init/clear/load/fixed route.</summary>
    Rtr = 29,

    /// <summary>DPRI: dropped-packet reinjection.</summary>
    Dpri = 30,

    /// <summary>INFO: chip summary.</summary>
    Info = 31,

    /// <summary>SYNC: core synchronisation.</summary>
    Sync = 32,

    /// <summary>BMP_INFO (BMP only).</summary>
    BmpInfo = 48,

    /// <summary>FLASH_COPY (BMP only).</summary>
    FlashCopy = 49,

    /// <summary>FLASH_ERASE (BMP only).</summary>
    FlashErase = 50,

    /// <summary>FLASH_WRITE (BMP only).</summary>
    FlashWrite = 51,

    /// <summary>RESET (BMP only).</summary>
    Reset = 55,

    /// <summary>BMP_POWER: board power (BMP only).</summary>
    BmpPower = 57,

    /// <summary>TUBE: obsolete outbound text.</summary>
    Tube = 64,
}
