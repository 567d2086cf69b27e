"""Reads a ROS 1 bag with ROS's own `rosbag` Python API and prints it as JSON (for the log tests).

Usage: /usr/bin/python3 read_bag.py BAG

Prints `{ "connections": [{topic, type, md5sum, latching, md5Expected (ROS's own, for known types)}], "counts": {topic: n},
"messages": [{topic, timeNs, type, stampNs?, frameId?, width?, height?, encoding?, step?, format?,
data? (base64), text?}] }`: connections and counts as `rosbag info` reports them (get_type_and_topic_info,
read through the bag's index), messages in the bag's time order, each deserialized by the message
class its connection's definition describes.
"""
import base64
import json
import sys

import rosbag
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import String

KNOWN = {c._type: c._md5sum for c in (Image, CompressedImage, String)}


def main():
    bag = rosbag.Bag(sys.argv[1])  # raises ROSBagUnindexedException for a bag without index
    info = bag.get_type_and_topic_info()
    counts = {topic: t.message_count for topic, t in info.topics.items()}
    connections = []
    for c in bag._connections.values():
        connections.append({"topic": c.topic, "type": c.datatype, "md5sum": c.md5sum,
                            "latching": c.header.get("latching") in ("1", b"1"),
                            "md5Expected": KNOWN.get(c.datatype)})
    messages = []
    for topic, msg, t in bag.read_messages():
        m = {"topic": topic, "timeNs": str(t.to_nsec()), "type": msg._type}
        if hasattr(msg, "header"):
            m["stampNs"] = str(msg.header.stamp.to_nsec())
            m["frameId"] = msg.header.frame_id
        for k in ("width", "height", "encoding", "step", "format"):
            if hasattr(msg, k):
                m[k] = getattr(msg, k)
        if hasattr(msg, "data"):
            if isinstance(msg.data, str):
                m["text"] = msg.data
            else:
                m["data"] = base64.b64encode(bytes(msg.data)).decode()
        messages.append(m)
    bag.close()
    print(json.dumps({"connections": connections, "counts": counts, "messages": messages}))


if __name__ == "__main__":
    main()
