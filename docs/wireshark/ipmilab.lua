-- ipmilab.lua: decode the BT and SSIF messages of an IPMI trace capture (link type IPMI_HPM_2).
--
-- Wireshark's ipmi-trace dissector hands each message to the dissector its channel protocol
-- names; Wireshark 4.0 has one for KCS (0x05) but none for BT-15 (0x08) or IPMI-SMBus (0x04),
-- the protocols of the BT and SSIF system interfaces.  The message inside is the same IPMI
-- message (NetFn/LUN, Cmd, completion code, data), so these two small dissectors show their own
-- framing and give the rest to Wireshark's own IPMI decoder (the "kcs" dissector).
--
--   tshark -X lua_script:docs/wireshark/ipmilab.lua -o ipmi.dissect_bus_commands:TRUE -r run.pcap -V
--
-- (In the Wireshark GUI: copy this file to ~/.local/lib/wireshark/plugins/ and tick
-- Preferences > Protocols > IPMI > "Dissect bus commands".)

local kcs = Dissector.get("kcs")
local protocols = DissectorTable.get("ipmi.protocol")

-- Called without the trace block's direction bit, Wireshark's decoder guesses the addresses;
-- the NetFn says it (even: a request, from the host to the BMC).
local function ipmi(msg, pinfo, tree)
    kcs:call(msg, pinfo, tree)
    local request = msg(0, 1):uint() % 8 < 4
    pinfo.cols.src = request and "HOST" or "BMC"
    pinfo.cols.dst = request and "BMC" or "HOST"
end

-- BT-15: Length, NetFn/LUN, Seq, Cmd, data (IPMI 2.0 section 11.2)
local bt = Proto("ipmilab_bt", "IPMI BT Interface (ipmilab)")
local bt_length = ProtoField.uint8("ipmilab_bt.length", "Length", base.DEC)
local bt_seq = ProtoField.uint8("ipmilab_bt.seq", "Seq", base.DEC)
bt.fields = { bt_length, bt_seq }

function bt.dissector(tvb, pinfo, tree)
    if tvb:len() < 4 then
        return 0
    end
    pinfo.cols.protocol = "BT"
    local sub = tree:add(bt, tvb(0, 3))
    sub:add(bt_length, tvb(0, 1))
    sub:add(bt_seq, tvb(2, 1))
    -- The IPMI message without the BT framing: NetFn/LUN, then Cmd and what follows it.
    local msg = tvb(1, 1):bytes() .. tvb(3):bytes()
    ipmi(msg:tvb("IPMI message"), pinfo, tree)
    return tvb:len()
end

-- IPMI-SMBus (SSIF): the whole message, its SMBus blocks already joined (IPMI 2.0 section 12)
local ssif = Proto("ipmilab_ssif", "IPMI SSIF Interface (ipmilab)")

function ssif.dissector(tvb, pinfo, tree)
    if tvb:len() < 2 then
        return 0
    end
    pinfo.cols.protocol = "SSIF"
    tree:add(ssif, tvb())
    ipmi(tvb, pinfo, tree)
    return tvb:len()
end

protocols:add(0x08, bt)
protocols:add(0x04, ssif)
