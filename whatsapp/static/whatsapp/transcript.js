// A conversation's page: its chat box opens at the newest message.
"use strict";
{
  const box = document.getElementById("chat-scroll");
  if (box) box.scrollTop = box.scrollHeight;
}
