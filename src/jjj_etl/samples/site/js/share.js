/* share widget for the sample site: opens nothing, counts nothing */
(function () {
  var cfg = window.shareConfig || { size: 16, style: 0 };
  var links = document.querySelectorAll("a.sh-weibo, a.sh-fb, a.sh-tw, a.sh-in, .share-widget a, .share a");
  for (var i = 0; i < links.length; i++) {
    links[i].setAttribute("data-share-size", String(cfg.size));
  }
})();
