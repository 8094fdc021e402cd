// Grid cells that are links (a village's name opens its page): a real <a href>, opened inside the app as
// dcc.Link does; Enter on a focused cell that holds one follows it (AG Grid keeps keyboard focus on the cell).
(function () {
    // The grid's words in Chinese: AG Grid's own zh-CN locale (ag-grid-locale-zh-cn.js, sent once as an asset,
    // not with every grid); the pager reads "1 至 10 共 190", "页 1 共 19".
    var ZH_OVERRIDES = {of: '共', page: '页'};
    var gridFns = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
    gridFns.gansuLocaleText = function (params) {
        var locale = window.AG_GRID_LOCALE_CN || {};
        var text = Object.prototype.hasOwnProperty.call(ZH_OVERRIDES, params.key) ? ZH_OVERRIDES[params.key]
            : locale[params.key];
        if (typeof text !== 'string') {
            return params.defaultValue;
        }
        (params.variableValues || []).forEach(function (v) {
            text = text.replace('${variable}', v);
        });
        return text;
    };
    var fns = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
    function local(href) {
        return typeof href === 'string' && href.charAt(0) === '/' && href.charAt(1) !== '/';
    }
    fns.PlaceLink = function (props) {
        var href = props.data && props.data.href;
        if (!local(href)) {
            return props.value;
        }
        return React.createElement('a', {
            href: href,
            className: 'grid-link',
            onClick: function (e) {
                if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button) {
                    return;
                }
                e.preventDefault();
                window.history.pushState({}, '', href);
                window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
                window.scrollTo(0, 0);
            },
        }, props.value);
    };
    document.addEventListener('keydown', function (e) {
        if (e.key !== 'Enter' || !e.target || !e.target.closest) {
            return;
        }
        var cell = e.target.closest('.ag-cell');
        var a = cell && cell.querySelector('a.grid-link[href]');
        if (a && a !== e.target) {
            e.preventDefault();
            a.click();
        }
    }, true);
})();
