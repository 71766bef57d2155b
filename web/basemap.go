package web

import (
	"fmt"
	"net/url"
	"strings"
)

// gcjHosts are tile hosts whose tiles are drawn in GCJ-02 (or Baidu's
// BD-09) rather than WGS84 / Web Mercator: Amap (Gaode), Tencent, Baidu,
// Google's China site. lifecircle refuses them rather than draw a map
// whose streets sit 100–700 m from the cells and facilities.
var gcjHosts = []struct{ suffix, name, datum string }{
	{"autonavi.com", "Amap (Gaode) / 高德", "GCJ-02"},
	{"amap.com", "Amap (Gaode) / 高德", "GCJ-02"},
	{"gtimg.com", "Tencent / 腾讯", "GCJ-02"},
	{"map.qq.com", "Tencent / 腾讯", "GCJ-02"},
	{"google.cn", "Google China / 谷歌中国", "GCJ-02"},
	{"baidu.com", "Baidu / 百度", "BD-09"},
	{"bdimg.com", "Baidu / 百度", "BD-09"},
	{"bdstatic.com", "Baidu / 百度", "BD-09"},
}

// isTianditu reports whether a tile host is Tianditu's (天地图).
func isTianditu(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, "tianditu.gov.cn") || strings.HasSuffix(host, "tianditu.com")
}

// checkBasemapSource refuses tile sources the map cannot draw in place:
// GCJ-02 and BD-09 sources, Tianditu without its key (tk=) or in its
// geographic (_c) tile matrix. host is the template's host with {s}
// resolved; the messages are English, then Chinese.
func checkBasemapSource(tmpl, host string, q url.Values) error {
	h := strings.ToLower(host)
	for _, g := range gcjHosts {
		if h == g.suffix || strings.HasSuffix(h, "."+g.suffix) {
			return fmt.Errorf("tiles URL %q: %s tiles are drawn in %s coordinates, shifted 100–700 m from the WGS84 positions lifecircle uses, so cells and facilities would sit off their streets; "+
				"use a WGS84 Web-Mercator source such as Tianditu (https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=YOUR_KEY) or an OpenStreetMap tile server. "+
				"/ %s 瓦片采用 %s 坐标，与 lifecircle 使用的 WGS84 相差 100–700 米，网格和设施会偏离街道；请改用天地图（_w 服务，附 tk= 密钥）或 OpenStreetMap 瓦片服务", tmpl, g.name, g.datum, g.name, g.datum)
		}
	}
	if !isTianditu(h) {
		return nil
	}
	if strings.TrimSpace(q.Get("tk")) == "" {
		return fmt.Errorf("tiles URL %q: Tianditu needs your key: add &tk=YOUR_KEY (a browser-side key from console.tianditu.gov.cn) / 天地图需要密钥：请在地址末尾加上 &tk=您的密钥（在 console.tianditu.gov.cn 申请“浏览器端”密钥）", tmpl)
	}
	lower := strings.ToLower(tmpl)
	if strings.Contains(lower, "_c/") || strings.Contains(lower, "_c&") || strings.HasSuffix(lower, "_c") ||
		strings.EqualFold(q.Get("TILEMATRIXSET"), "c") {
		return fmt.Errorf("tiles URL %q: this Tianditu service uses the geographic (EPSG:4490, _c) tile matrix, which the Web-Mercator map cannot draw: use the _w service (e.g. vec_w, img_w, TILEMATRIXSET=w) / 该天地图服务为经纬度投影（_c），地图无法绘制：请改用 _w（球面墨卡托）服务，如 vec_w、img_w，TILEMATRIXSET=w", tmpl)
	}
	return nil
}

// tileSubdomains are the values of {s} in a basemap template: 0–7 for
// Tianditu, a, b, c (Leaflet's default) otherwise.
func tileSubdomains(tmpl string) string {
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{s}", "0"))
	if err == nil && isTianditu(u.Host) {
		return "01234567"
	}
	return "abc"
}

// tileSubdomains is tileSubdomains of the configured basemap, "" for none.
func (s *Server) tileSubdomains() string {
	if s.cfg.Tiles == "" {
		return ""
	}
	return tileSubdomains(s.cfg.Tiles)
}
